package io.tsforge.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;

/** The one {@code local[2]} session every Spark test shares; created on first use, stopped when the JVM exits. */
public final class SparkTestSession {

    private static SparkSession spark;

    private SparkTestSession() {
    }

    public static synchronized SparkSession get() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .config(SparkSessions.kryo(SparkSessions.localFileSystem(new SparkConf().setMaster("local[2]"))))
                    .appName("tsforge-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.default.parallelism", "2")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("ERROR");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> spark.stop()));
        }
        return spark;
    }

    /** The repository root (tests run with the project folder as working directory). */
    public static Path projectDir() {
        return Path.of("").toAbsolutePath();
    }

    /** {@code ../shared/data} next to the project, or null when it is absent. */
    public static Path sharedData() {
        String p = System.getProperty("tsforge.sharedData");
        Path dir = p != null ? Path.of(p) : projectDir().resolve("../shared/data");
        return Files.isDirectory(dir) ? dir.normalize() : null;
    }
}
