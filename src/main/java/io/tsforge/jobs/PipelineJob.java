package io.tsforge.jobs;

import io.tsforge.config.Config;
import io.tsforge.config.EvaluateConfig;
import io.tsforge.config.PrepareConfig;
import io.tsforge.config.ScoringConfig;
import io.tsforge.config.TrainConfig;
import io.tsforge.io.Storage;
import io.tsforge.spark.PreparedLayout;
import org.apache.spark.sql.SparkSession;

import java.util.Locale;
import java.util.Map;

/**
 * Runs the stages in one Spark session, each writing its own outputs and {@code _summary.json}, and ends with a short
 * account of where everything is. The stages are prepare, train, forecast, detect and evaluate.
 */
public final class PipelineJob {

    private PipelineJob() {
    }

    /** Runs one stage with its own report, writes that stage's summary where it returns, and files its counts. */
    private static RunReport stage(RunReport pipeline, Storage storage, Map<String, String> config, String name,
                                   java.util.function.Function<RunReport, String> work) {
        pipeline.stage(name);
        RunReport r = new RunReport(name);
        String summaryDir = work.apply(r);
        r.endStage();
        r.writeSummary(storage, summaryDir, "succeeded", config, null);
        pipeline.count(name, r.summary("succeeded", Map.of(), null).get("counts"));
        return r;
    }

    public static void run(SparkSession spark, Config config, PrepareConfig prepare, TrainConfig trainConfig,
                           ScoringConfig scoring, EvaluateConfig evaluate, RunReport report) {
        Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
        Map<String, String> effective = config.effective();
        RunReport prep = stage(report, storage, effective, "prepare", r -> {
            PrepareJob.run(spark, prepare, r);
            return prepare.outputDir();
        });
        RunReport train = stage(report, storage, effective, "train", r -> {
            TrainJob.run(spark, trainConfig, config, false, r);
            return trainConfig.registry() + "/" + trainConfig.name();
        });
        String bundle = (String) train.count("bundle");
        RunReport forecast = stage(report, storage, effective, "forecast",
                r -> ScoringJobs.forecast(spark, scoring, r));
        String forecasts = (String) forecast.count("output");
        RunReport detect = stage(report, storage, effective, "detect", r -> ScoringJobs.detect(spark, scoring, r));
        String anomalies = (String) detect.count("output");
        RunReport evaluation = stage(report, storage, effective, "evaluate", r -> {
            EvaluateJob.run(spark, evaluate, r);
            return evaluate.output();
        });
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
        System.out.printf(Locale.ROOT, "  forecast  %s  %,d rows: %s origins x horizon, %s series%n", forecasts,
                forecast.count("rows_out"), forecast.count("origins"), forecast.count("series_forecast"));
        System.out.printf(Locale.ROOT, "  detect    %s  %,d rows scored, %,d flagged in %s events (threshold %s)%n",
                anomalies, detect.count("rows_scored"), detect.count("rows_flagged"), detect.count("events"),
                detect.count("threshold"));
        System.out.printf(Locale.ROOT, "  evaluate  %s%s%n", evaluation.count("report_html"),
                evaluation.count("nab_standard") == null ? "  (no evaluate.labels: anomaly rows not scored)"
                        : String.format(Locale.ROOT, "  anomaly F1 %.3f (point-adjusted %.3f), NAB standard %.1f",
                        (Double) evaluation.count("anomaly_f1"), (Double) evaluation.count("anomaly_pa_f1"),
                        (Double) evaluation.count("nab_standard")));
        @SuppressWarnings("unchecked")
        java.util.List<String> top = (java.util.List<String>) detect.count("top_events");
        System.out.println("  top events:");
        for (String e : top) {
            System.out.println("    " + e);
        }
    }
}
