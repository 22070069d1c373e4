package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.io.NioLocalFileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.util.Map;

/**
 * Builds the session a job runs in. The master comes from {@code spark.master} in the config, else from spark-submit
 * (which sets the system property), else embedded {@code local[*]}, so the same jar runs on a laptop and a cluster.
 */
public final class SparkSessions {

    /** The Hadoop setting that names the class of the {@code file:} file system, as a Spark setting. */
    public static final String FILE_SYSTEM_KEY = "spark.hadoop.fs.file.impl";

    private SparkSessions() {
    }

    public static SparkSession create(String appName, Config config, String sessionTimeZone) {
        SparkConf conf = new SparkConf(true).setAppName("tsforge " + appName);
        if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        // the progress bar helps at a terminal and floods logs (CI, cron) elsewhere
        conf.setIfMissing("spark.ui.showConsoleProgress", Boolean.toString(System.console() != null));
        conf.setIfMissing("spark.sql.session.timeZone", sessionTimeZone);
        conf.setIfMissing("spark.driver.memory", "2g");
        kryo(conf);
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", System.getenv().getOrDefault("OMP_NUM_THREADS", "1"));
        for (Map.Entry<String, String> e : config.sparkSettings().entrySet()) {
            conf.set(e.getKey(), e.getValue());
        }
        localFileSystem(conf);
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        return spark;
    }

    /**
     * Kryo with our registrator (which adds ND4J's) unless {@code conf} names a serializer or registrator: DL4J ships
     * minibatches between JVMs, and Kryo serializes INDArrays compactly. Returns {@code conf}.
     */
    public static SparkConf kryo(SparkConf conf) {
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrator", KryoRegistrator.class.getName());
        return conf;
    }

    /**
     * For a local master ({@code local}, {@code local[...]}: every task in this JVM), {@code file:} paths through
     * {@link NioLocalFileSystem}, which sets the mode of each file it creates without forking {@code chmod} (about 25
     * ms per file here); the user's own {@value #FILE_SYSTEM_KEY} is kept. Other masters are left alone: there the
     * executors' JVMs, class loaders and file systems are the cluster's. Returns {@code conf}.
     */
    public static SparkConf localFileSystem(SparkConf conf) {
        String master = conf.get("spark.master", "");
        if ((master.equals("local") || master.startsWith("local[")) && !conf.contains(FILE_SYSTEM_KEY)) {
            conf.set(FILE_SYSTEM_KEY, NioLocalFileSystem.class.getName());
        }
        return conf;
    }
}
