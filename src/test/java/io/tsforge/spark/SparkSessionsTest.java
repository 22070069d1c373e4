package io.tsforge.spark;

import io.tsforge.io.NioLocalFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class SparkSessionsTest {

    private static SparkConf conf(String master) {
        return new SparkConf(false).setMaster(master);
    }

    @Test
    void localMastersGetTheNioLocalFileSystem() {
        for (String m : new String[] {"local", "local[2]", "local[*]", "local[4,2]"}) {
            assertEquals(NioLocalFileSystem.class.getName(),
                    SparkSessions.localFileSystem(conf(m)).get(SparkSessions.FILE_SYSTEM_KEY), m);
        }
    }

    @Test
    void otherMastersAndTheUsersOwnSettingAreLeftAlone() {
        for (String m : new String[] {"spark://host:7077", "yarn", "local-cluster[2,1,1024]", "k8s://https://h:6443"}) {
            assertFalse(SparkSessions.localFileSystem(conf(m)).contains(SparkSessions.FILE_SYSTEM_KEY), m);
        }
        SparkConf own = conf("local[2]").set(SparkSessions.FILE_SYSTEM_KEY, "org.apache.hadoop.fs.LocalFileSystem");
        assertEquals("org.apache.hadoop.fs.LocalFileSystem",
                SparkSessions.localFileSystem(own).get(SparkSessions.FILE_SYSTEM_KEY));
    }

    @Test
    void theSharedTestSessionWritesThroughIt() throws Exception {
        // a new instance, not the JVM-wide cached one another test may have created first with a plain Configuration
        try (FileSystem fs = FileSystem.newInstance(URI.create("file:///"),
                SparkTestSession.get().sessionState().newHadoopConf())) {
            assertInstanceOf(NioLocalFileSystem.class, fs);
        }
    }
}
