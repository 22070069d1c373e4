package io.tsforge.jobs;

import io.tsforge.config.Config;
import io.tsforge.config.PrepareConfig;
import io.tsforge.config.TrainConfig;
import io.tsforge.io.Storage;
import io.tsforge.spark.PreparedLayout;
import org.apache.spark.sql.SparkSession;

import java.util.Locale;
import java.util.Map;

/**
 * Runs the stages in one Spark session, each writing its own outputs and {@code _summary.json}, and ends with a short
 * account of where everything is. Later stages (train, forecast, detect) join here as they are built.
 */
public final class PipelineJob {

    private PipelineJob() {
    }

    public static void run(SparkSession spark, Config config, PrepareConfig prepare, TrainConfig trainConfig,
                           RunReport report) {
        Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
        report.stage("prepare");
        RunReport prep = new RunReport("prepare");
        PrepareJob.run(spark, prepare, prep);
        prep.endStage();
        prep.writeSummary(storage, prepare.outputDir(), "succeeded", config.effective(), null);
        report.count("prepare", prep.summary("succeeded", Map.of(), null).get("counts"));

        report.stage("train");
        RunReport train = new RunReport("train");
        String bundle = TrainJob.run(spark, trainConfig, config, false, train);
        train.endStage();
        train.writeSummary(storage, trainConfig.registry() + "/" + trainConfig.name(), "succeeded",
                config.effective(), null);
        report.count("train", train.summary("succeeded", Map.of(), null).get("counts"));
        report.endStage();

        System.out.println();
        System.out.println("pipeline finished in " + String.format(Locale.ROOT, "%.1f s", report.elapsedSeconds()));
        System.out.printf(Locale.ROOT, "  prepare   %s/  rows in %,d = used %,d + quarantined %,d + duplicate %,d; "
                        + "%s series; windows %s%n", prepare.outputDir(), prep.count("rows_in"),
                prep.count("rows_used"), prep.count("rows_quarantined"), prep.count("rows_duplicate"),
                prep.count("series"), prep.count("windows"));
        System.out.println("            quarantined rows with reasons: " + prepare.outputDir() + "/"
                + PreparedLayout.QUARANTINE + "/");
        System.out.printf(Locale.ROOT, "  train     %s  best epoch %s; validation MSE %.4f vs repeat-last-value %.4f "
                        + "(normalized)%n", bundle, train.count("best_epoch"), (Double) train.count("validation_mse"),
                (Double) train.count("validation_naive_mse"));
    }
}
