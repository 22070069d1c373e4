package io.tsforge.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsforge.config.ConfigException;
import io.tsforge.config.ScoringConfig;
import io.tsforge.core.Frequency;
import io.tsforge.io.Storage;
import io.tsforge.model.ModelBundle;
import io.tsforge.spark.PartitionWriter;
import io.tsforge.spark.PreparedLayout;
import io.tsforge.spark.Scoring;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;

/**
 * {@code forecast} and {@code detect}: load and check the bundle, broadcast it once, score a partition at a time and
 * replace the run date's output partition atomically.
 */
public final class ScoringJobs {

    private ScoringJobs() {
    }

    /** Loads the configured bundle and checks it against the data before any Spark work. */
    public static ModelBundle bundle(Storage storage, ScoringConfig cfg) {
        String dir = ModelBundle.resolve(storage, cfg.registry(), cfg.modelName(), cfg.modelVersion());
        ModelBundle b = ModelBundle.load(storage, dir);
        List<String> features = new ArrayList<>();
        b.schema().path("features").forEach(f -> features.add(f.asText()));
        if (!features.equals(cfg.features())) {
            throw new ConfigException("input.valueColumns", "the model " + b.dir() + " was trained on " + features
                    + " but the input has " + cfg.features());
        }
        String summary = cfg.preparedDir() + "/" + PreparedLayout.SUMMARY;
        if (!storage.exists(summary)) {
            throw new ConfigException("output.dir", "no prepared data: " + summary + " does not exist (run prepare "
                    + "on the data to score first)");
        }
        JsonNode prepared = storage.readJson(summary).path("config");
        String freq = prepared.path("series.frequency").asText();
        String modelFreq = b.schema().path("frequency").asText();
        if (Frequency.parse(freq).millis() != Frequency.parse(modelFreq).millis()) {
            throw new ConfigException("series.frequency", "the model " + b.dir() + " was trained at " + modelFreq
                    + " but the prepared data is at " + freq);
        }
        return b;
    }

    public static Scoring.Model model(ModelBundle b) {
        return new Scoring.Model(ModelBundle.networkBytes(b.network(), false), b.normalizer(), b.calibration(),
                b.lookback(), b.horizon(), b.perStepHead(), b.version(),
                Frequency.parse(b.schema().path("frequency").asText()).millis());
    }

    public static String forecast(SparkSession spark, ScoringConfig cfg, RunReport report) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Storage storage = new Storage(jsc.hadoopConfiguration());
        report.stage("load-model");
        ModelBundle b = bundle(storage, cfg);
        report.log("model " + b.dir());
        Broadcast<Scoring.Model> model = jsc.broadcast(model(b));

        report.stage("forecast");
        long t0 = System.nanoTime();
        JavaRDD<Scoring.SeriesSegment> segs = Scoring.segments(spark, cfg.preparedDir(), cfg.features(),
                jsc.defaultParallelism());
        Dataset<Row> rows = spark.createDataFrame(segs.mapPartitions(it -> Scoring.forecast(it, model.value(), cfg)),
                Scoring.forecastSchema(cfg.intervals())).persist(StorageLevel.MEMORY_AND_DISK());
        long n = rows.count();
        double seconds = (System.nanoTime() - t0) / 1e9;
        long origins = n / b.horizon();
        long series = rows.select("series_id").distinct().count();
        long allSeries = PreparedLayout.readSeries(spark, cfg.preparedDir()).select("series_id")
                .distinct().count();
        report.stage("write");
        String table = cfg.outputDir() + "/forecasts";
        String dest = PartitionWriter.replace(storage, rows, table, cfg.runDate(), cfg.format());
        rows.unpersist(false);
        report.count("model", b.dir());
        report.count("mode", cfg.backtest() ? "backtest" : "latest");
        report.count("series", allSeries);
        report.count("series_forecast", series);
        report.count("series_without_forecast", allSeries - series);
        report.count("origins", origins);
        report.count("rows_out", n);
        report.count("windows_per_second", origins / seconds);
        report.count("output", dest);
        report.log(String.format(Locale.ROOT, "%,d origins x %d steps = %,d rows for %d of %d series -> %s "
                + "(%.0f windows/s)", origins, b.horizon(), n, series, allSeries, dest, origins / seconds));
        return dest;
    }

    public static String detect(SparkSession spark, ScoringConfig cfg, RunReport report) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Storage storage = new Storage(jsc.hadoopConfiguration());
        report.stage("load-model");
        ModelBundle b = bundle(storage, cfg);
        report.log("model " + b.dir() + ", threshold " + cfg.threshold());
        Broadcast<Scoring.Model> model = jsc.broadcast(model(b));
        long stepMillis = model.value().stepMillis();

        report.stage("detect");
        long t0 = System.nanoTime();
        JavaRDD<Scoring.SeriesSegment> segs = Scoring.segments(spark, cfg.preparedDir(), cfg.features(),
                jsc.defaultParallelism());
        JavaRDD<Row> scored = segs.mapPartitions(it -> Scoring.detect(it, model.value(), cfg))
                .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> anomalies = spark.createDataFrame(scored, Scoring.anomalySchema());
        long rowsIn = scored.count();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Long> unscored = new TreeMap<>();
        for (Row r : anomalies.filter(col("reason").isNotNull()).groupBy("reason").count().collectAsList()) {
            unscored.put(r.getString(0), r.getLong(1));
        }
        long flagged = anomalies.filter(col("is_anomaly").equalTo(true)).count();
        long scoredRows = anomalies.filter(col("anomaly_score").isNotNull()).count();
        Dataset<Row> events = spark.createDataFrame(scored.mapPartitions(it -> Scoring.events(it, stepMillis)),
                Scoring.eventSchema()).persist(StorageLevel.MEMORY_AND_DISK());

        report.stage("write");
        String dest = PartitionWriter.replace(storage, anomalies, cfg.outputDir() + "/anomalies", cfg.runDate(),
                cfg.format());
        String eventsDest = PartitionWriter.replace(storage, events, cfg.outputDir() + "/events", cfg.runDate(),
                cfg.format());
        long unscoredRows = unscored.values().stream().mapToLong(Long::longValue).sum();
        report.count("model", b.dir());
        report.count("threshold", cfg.threshold());
        report.count("rows_in", rowsIn);
        report.count("rows_scored", scoredRows);
        report.count("rows_unscored", unscored);
        report.count("rows_balanced", rowsIn == scoredRows + unscoredRows);
        report.count("rows_flagged", flagged);
        report.count("events", events.count());
        report.count("rows_per_second", rowsIn / seconds);
        report.count("output", dest);
        report.count("events_output", eventsDest);
        List<String> top = new ArrayList<>();
        for (Row e : events.orderBy(col("peak_score").desc(), col("rows").desc()).limit(5).collectAsList()) {
            top.add(String.format(Locale.ROOT, "%s %s .. %s (%d rows, peak %.4f at %s)", e.getString(0),
                    e.getTimestamp(1).toInstant(), e.getTimestamp(2).toInstant(), e.getInt(5), e.getDouble(4),
                    e.getTimestamp(3).toInstant()));
        }
        report.count("top_events", top);
        events.unpersist(false);
        scored.unpersist(false);
        if (rowsIn != scoredRows + unscoredRows) {
            throw new IllegalStateException("detect rows do not balance: " + rowsIn + " in, " + scoredRows
                    + " scored + " + unscoredRows + " unscored");
        }
        report.log(String.format(Locale.ROOT, "%,d rows in range: %,d scored + %,d unscored %s; %,d flagged in %d "
                + "events (%.0f rows/s) -> %s", rowsIn, scoredRows, unscoredRows, unscored, flagged,
                (Long) report.count("events"), rowsIn / seconds, dest));
        return dest;
    }
}
