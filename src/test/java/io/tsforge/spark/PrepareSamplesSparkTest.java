package io.tsforge.spark;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsforge.config.Config;
import io.tsforge.config.PrepareConfig;
import io.tsforge.core.AssembledSeries;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.RawRowParser;
import io.tsforge.core.Segment;
import io.tsforge.core.SeriesAssembler;
import io.tsforge.core.SplitLabel;
import io.tsforge.core.StatsAccumulator;
import io.tsforge.io.NormalizerJson;
import io.tsforge.io.Storage;
import io.tsforge.jobs.PrepareJob;
import io.tsforge.jobs.RunReport;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code prepare} on the checked-in data-samples, against the generator's ground truth and a Spark-free recomputation. */
class PrepareSamplesSparkTest {

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static PrepareConfig cfg;
    static RunReport report;

    @BeforeAll
    static void runPrepare() throws IOException {
        spark = SparkTestSession.get();
        Config c = Config.load(SparkTestSession.projectDir().resolve("conf/samples.properties"),
                List.of("output.dir=" + tmp.resolve("out")));
        cfg = PrepareConfig.from(c);
        report = new RunReport("prepare");
        PrepareJob.run(spark, cfg, report);
        report.endStage();
    }

    @Test
    void everyRowIsAccountedFor() {
        // ground truth from data-samples/README.md (written by the generator)
        assertEquals(24080L, report.count("rows_in"));
        assertEquals(12L, report.count("rows_quarantined"));
        assertEquals(24L, report.count("rows_duplicate"));
        assertEquals(24044L, report.count("rows_used"));
        assertEquals(true, report.count("rows_balanced"));
        assertEquals(6L, report.count("series"));
        assertEquals(7L, report.count("segments"), "sensor-01's three-day gap must split it");
        assertEquals(2L, report.count("steps_filled"), "sensor-03's two missing hours are filled");
    }

    @Test
    void quarantineHoldsEachBadRowWithItsReason() {
        Dataset<Row> q = spark.read().option("header", "true").csv(cfg.outputDir() + "/" + PreparedLayout.QUARANTINE);
        assertEquals(12, q.count());
        Map<String, Long> byReason = q.groupBy("reason").count().collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));
        assertEquals(Map.of("bad_timestamp", 2L, "bad_number", 2L, "missing_series_id", 2L, "missing_value", 2L,
                "non_finite", 2L, "malformed_line", 2L), byReason);
        List<Row> badTs = q.filter(col("reason").equalTo("bad_timestamp")).collectAsList();
        for (Row r : badTs) {
            assertEquals("2024-13-45 25:61:00", r.getAs("timestamp"));
            assertTrue(((String) r.getAs("detail")).contains("'2024-13-45 25:61:00'"));
        }
        Row nan = q.filter(col("reason").equalTo("non_finite")).collectAsList().get(0);
        assertTrue(((String) nan.getAs("detail")).matches("column '(load_kw|ambient_c)' is '(NaN|Infinity)'"),
                (String) nan.getAs("detail"));
    }

    @Test
    void stepsAreRegularWithinSegmentsAndNoWindowCrossesAGap() {
        Dataset<Row> series = spark.read().parquet(cfg.outputDir() + "/" + PreparedLayout.SERIES);
        Map<String, List<Row>> bySegment = new TreeMap<>();
        for (Row r : series.select("series_id", "segment", "step", "timestamp").collectAsList()) {
            bySegment.computeIfAbsent(r.getString(0) + "#" + r.getInt(1), k -> new ArrayList<>()).add(r);
        }
        Map<String, Integer> lengths = new HashMap<>();
        for (Map.Entry<String, List<Row>> e : bySegment.entrySet()) {
            List<Row> rows = e.getValue();
            rows.sort(Comparator.comparingInt(r -> r.getInt(2)));
            for (int i = 1; i < rows.size(); i++) {
                assertEquals(i, rows.get(i).getInt(2));
                assertEquals(3_600_000L, rows.get(i).getTimestamp(3).getTime() - rows.get(i - 1).getTimestamp(3).getTime(),
                        "steps of " + e.getKey() + " must be one hour apart");
            }
            lengths.put(e.getKey(), rows.size());
        }
        assertTrue(lengths.containsKey("sensor-01#1"), "sensor-01 has a second segment after its long gap");
        Dataset<Row> windows = spark.read().parquet(cfg.outputDir() + "/" + PreparedLayout.WINDOWS);
        List<Row> all = windows.collectAsList();
        assertEquals(6487 + 1446 + 3318, all.size());
        for (Row w : all) {
            int len = lengths.get(w.<String>getAs("series_id") + "#" + w.<Integer>getAs("segment"));
            int origin = w.getAs("origin");
            int history = w.getAs("history");
            assertEquals(48, history);
            assertTrue(origin - history + 1 >= 0 && origin + 24 < len, "window leaves its segment: " + w);
        }
        Map<String, Long> perSplit = windows.groupBy("split").count().collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));
        assertEquals(report.count("windows"), Map.of("train", perSplit.get("train"),
                "validation", perSplit.get("validation"), "test", perSplit.get("test")));
    }

    @Test
    void statisticsComeFromTheTrainingRangeOnly() {
        Normalizer n = NormalizerJson.fromJson(Storage.local().readJson(cfg.outputDir() + "/" + PreparedLayout.STATS));
        Dataset<Row> series = spark.read().parquet(cfg.outputDir() + "/" + PreparedLayout.SERIES);
        for (String sid : List.of("sensor-01", "sensor-04")) {
            List<Row> train = series.filter(col("series_id").equalTo(sid).and(col("split").equalTo("train")))
                    .select("load_kw").collectAsList();
            List<Row> everything = series.filter(col("series_id").equalTo(sid)).select("load_kw").collectAsList();
            double trainMean = train.stream().mapToDouble(r -> r.getDouble(0)).average().orElseThrow();
            double allMean = everything.stream().mapToDouble(r -> r.getDouble(0)).average().orElseThrow();
            double var = train.stream().mapToDouble(r -> Math.pow(r.getDouble(0) - trainMean, 2)).sum() / train.size();
            assertEquals(trainMean, n.scaleFor(sid).center()[0], 1e-9);
            assertEquals(Math.sqrt(var), n.scaleFor(sid).scale()[0], 1e-9);
            assertTrue(Math.abs(allMean - trainMean) > 1e-3, "the check must be able to tell the ranges apart");
        }
        // normalized training values have mean 0 and std 1
        List<Row> z = series.filter(col("series_id").equalTo("sensor-02").and(col("split").equalTo("train")))
                .select("load_kw_norm").collectAsList();
        double m = z.stream().mapToDouble(r -> r.getDouble(0)).average().orElseThrow();
        double v = z.stream().mapToDouble(r -> (r.getDouble(0) - m) * (r.getDouble(0) - m)).sum() / z.size();
        assertEquals(0.0, m, 1e-9);
        assertEquals(1.0, v, 1e-9);
    }

    /** The same series, split and statistics computed with the core alone in one loop: Spark must agree. */
    @Test
    void sparkAgreesWithASparkFreeRecomputation() throws IOException {
        List<String> lines = Files.readAllLines(SparkTestSession.projectDir().resolve("data-samples/sensors.csv"));
        RawRowParser parser = cfg.input().rowParser();
        RawRowParser.Result r = parser.newResult();
        record Reading(String id, long ts, int line, double[] v) { }
        List<Reading> ok = new ArrayList<>();
        int bad = 0;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",", -1);
            boolean malformed = f.length != 4;
            String[] vals = malformed ? new String[2] : new String[]{f[2], f[3]};
            parser.parse(true, malformed ? null : f[0], malformed ? null : f[1], vals, malformed, r);
            if (r.ok()) {
                ok.add(new Reading(f[0], r.timestamp, i, r.values.clone()));
            } else {
                bad++;
            }
        }
        assertEquals(12, bad);
        ok.sort(Comparator.comparing(Reading::id).thenComparingLong(Reading::ts).thenComparingInt(Reading::line));
        Map<String, StatsAccumulator> stats = new TreeMap<>();
        Map<String, AssembledSeries> local = new TreeMap<>();
        SeriesAssembler a = null;
        String current = null;
        for (Reading x : ok) {
            if (!x.id().equals(current)) {
                if (a != null) {
                    local.put(current, a.finish());
                }
                current = x.id();
                a = new SeriesAssembler(current, cfg.resample(), 2);
            }
            a.add(x.ts(), x.v());
        }
        local.put(current, a.finish());
        for (AssembledSeries s : local.values()) {
            cfg.split().assign(s.segments());
            StatsAccumulator acc = new StatsAccumulator(2, false);
            for (Segment seg : s.segments()) {
                for (int t = 0; t < seg.length(); t++) {
                    if (seg.split[t] == SplitLabel.TRAIN.code()) {
                        acc.add(new double[]{seg.values[0][t], seg.values[1][t]});
                    }
                }
            }
            stats.put(s.seriesId(), acc);
        }
        Normalizer expected = Normalizer.fit(Normalization.ZSCORE, List.of("load_kw", "ambient_c"), stats);
        JsonNode json = Storage.local().readJson(cfg.outputDir() + "/" + PreparedLayout.STATS);
        Normalizer actual = NormalizerJson.fromJson(json);
        assertEquals(expected.perSeries().keySet(), actual.perSeries().keySet());
        for (String sid : expected.perSeries().keySet()) {
            for (int f = 0; f < 2; f++) {
                assertEquals(expected.scaleFor(sid).center()[f], actual.scaleFor(sid).center()[f], 1e-12, sid);
                assertEquals(expected.scaleFor(sid).scale()[f], actual.scaleFor(sid).scale()[f], 1e-12, sid);
            }
        }
        assertEquals(expected.global().center()[0], actual.global().center()[0], 1e-9);
        long steps = local.values().stream().mapToLong(AssembledSeries::totalSteps).sum();
        assertEquals(steps, report.count("steps"));
        Row s03 = spark.read().parquet(cfg.outputDir() + "/" + PreparedLayout.SERIES)
                .filter(col("series_id").equalTo("sensor-03").and(col("filled"))).orderBy("timestamp")
                .collectAsList().get(0);
        Segment seg = local.get("sensor-03").segments().get(0);
        int step = s03.getAs("step");
        assertTrue(seg.filled[step]);
        assertEquals(seg.values[0][step], (double) s03.getAs("load_kw"), 1e-12);
        assertFalse(report.count("rows_balanced").equals(false));
    }
}
