package io.tsforge.spark;

import io.tsforge.config.Config;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.util.Map;

/**
 * Builds the session a job runs in. The master comes from {@code spark.master} in the config, else from spark-submit
 * (which sets the system property), else embedded {@code local[*]}, so the same jar runs on a laptop and a cluster.
 */
public final class SparkSessions {

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
        // DL4J ships minibatches between JVMs: Kryo with ND4J's registrator (and ours) serializes INDArrays compactly.
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrator", "io.tsforge.spark.KryoRegistrator");
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", System.getenv().getOrDefault("OMP_NUM_THREADS", "1"));
        for (Map.Entry<String, String> e : config.sparkSettings().entrySet()) {
            conf.set(e.getKey(), e.getValue());
        }
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        return spark;
    }
}
