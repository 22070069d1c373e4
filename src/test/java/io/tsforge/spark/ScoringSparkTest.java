package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.PrepareConfig;
import io.tsforge.config.ScoringConfig;
import io.tsforge.config.TrainConfig;
import io.tsforge.io.Storage;
import io.tsforge.jobs.PrepareJob;
import io.tsforge.jobs.RunReport;
import io.tsforge.jobs.ScoringJobs;
import io.tsforge.jobs.TrainJob;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** forecast and detect on data-samples with a model trained once for the class. */
class ScoringSparkTest {

    @TempDir
    static Path tmp;

    static SparkSession spark;

    static Config config(String... more) throws IOException {
        List<String> s = new ArrayList<>(List.of("output.dir=" + tmp.resolve("out"), "window.stride=2",
                "train.epochs=6", "train.patience=0", "train.batchSizePerWorker=32", "run.date=2024-03-25"));
        s.addAll(List.of(more));
        return Config.load(SparkTestSession.projectDir().resolve("conf/samples.properties"), s);
    }

    @BeforeAll
    static void prepareAndTrain() throws IOException {
        spark = SparkTestSession.get();
        Config c = config();
        RunReport r = new RunReport("prepare");
        PrepareJob.run(spark, PrepareConfig.from(c), r);
        Storage.local().writeJson(PrepareConfig.from(c).outputDir() + "/_summary.json",
                r.summary("succeeded", c.effective(), null));
        TrainJob.run(spark, TrainConfig.from(c), c, false, new RunReport("train"));
    }

    static Dataset<Row> read(String table, String date) {
        return spark.read().parquet(tmp.resolve("out/" + table + "/run_date=" + date).toString());
    }

    @Test
    void forecastsEverySeriesFromItsLastStepWithOrderedIntervals() throws IOException {
        RunReport r = new RunReport("forecast");
        ScoringJobs.forecast(spark, ScoringConfig.from(config()), r);
        Dataset<Row> f = read("forecasts", "2024-03-25");
        assertEquals(6 * 24, f.count());
        assertEquals(List.of("series_id", "origin_ts", "target_ts", "step", "forecast", "lower_80", "upper_80",
                "lower_95", "upper_95", "model_version"), List.of(f.columns()));
        for (Row x : f.collectAsList()) {
            double lo95 = x.getAs("lower_95"), lo80 = x.getAs("lower_80"), fc = x.getAs("forecast");
            double hi80 = x.getAs("upper_80"), hi95 = x.getAs("upper_95");
            assertTrue(lo95 <= lo80 && lo80 < hi80 && hi80 <= hi95, x.toString());
            assertTrue(lo95 < fc && fc < hi95, x.toString());
            Timestamp origin = x.getAs("origin_ts");
            Timestamp target = x.getAs("target_ts");
            assertEquals(Timestamp.valueOf("2024-03-24 23:00:00").getTime(), origin.getTime());
            assertEquals(origin.getTime() + (int) x.getAs("step") * 3_600_000L, target.getTime());
            assertEquals("v1", x.getAs("model_version"));
        }
        assertEquals(6L, r.count("series_forecast"));
    }

    @Test
    void aRunDateForecastsFromTheEndOfThatDate() throws IOException {
        ScoringJobs.forecast(spark, ScoringConfig.from(config("run.date=2024-03-10")), new RunReport("f"));
        for (Row x : read("forecasts", "2024-03-10").select("origin_ts").distinct().collectAsList()) {
            assertEquals(Timestamp.valueOf("2024-03-10 23:00:00"), x.getTimestamp(0));
        }
    }

    @Test
    void backtestForecastsEveryOriginInTheRange() throws IOException {
        RunReport r = new RunReport("forecast");
        ScoringJobs.forecast(spark, ScoringConfig.from(config("run.date=2000-01-01",
                "forecast.from=2024-03-01 00:00:00", "forecast.to=2024-03-10 23:00:00", "forecast.stride=24")), r);
        // 10 daily origins per series, every series has the full lookback by then
        assertEquals(60L, r.count("origins"));
        assertEquals(60L * 24, read("forecasts", "2000-01-01").count());
    }

    @Test
    void rerunningARunDateReplacesOnlyThatPartition() throws IOException {
        ScoringJobs.forecast(spark, ScoringConfig.from(config("run.date=2024-03-20")), new RunReport("f"));
        Path other = tmp.resolve("out/forecasts/run_date=2024-03-20");
        List<String> before;
        try (var files = Files.list(other)) {
            before = files.map(Path::toString).sorted().toList();
        }
        ScoringJobs.forecast(spark, ScoringConfig.from(config("run.date=2024-03-21")), new RunReport("f"));
        ScoringJobs.forecast(spark, ScoringConfig.from(config("run.date=2024-03-21")), new RunReport("f"));
        Dataset<Row> again = read("forecasts", "2024-03-21");
        assertEquals(144, again.count(), "a re-run must not duplicate rows");
        assertEquals(144, again.select("series_id", "origin_ts", "step").distinct().count());
        try (var files = Files.list(other)) {
            assertEquals(before, files.map(Path::toString).sorted().toList(), "another date was touched");
        }
        // a crashed write leaves only hidden folders, which readers of the table never see
        Files.createDirectories(tmp.resolve("out/forecasts/.tmp.run_date=2024-03-21.crashed"));
        Files.writeString(tmp.resolve("out/forecasts/.tmp.run_date=2024-03-21.crashed/part-0.parquet"), "junk");
        Dataset<Row> table = spark.read().parquet(tmp.resolve("out/forecasts").toString())
                .filter(col("run_date").equalTo("2024-03-21"));
        assertEquals(144, table.count());
    }

    @Test
    void detectFlagsTheInjectedAnomaliesAndAccountsForEveryRow() throws IOException {
        RunReport r = new RunReport("detect");
        ScoringJobs.detect(spark, ScoringConfig.from(config()), r);
        assertEquals(true, r.count("rows_balanced"));
        Dataset<Row> rows = read("anomalies", "2024-03-25");
        assertEquals((long) (Long) r.count("rows_in"), rows.count());
        // every row after the training range (2024-02-19) is there, scored or with a reason
        assertEquals(0, rows.filter(col("timestamp").lt(Timestamp.valueOf("2024-02-19 00:00:00"))).count());
        Dataset<Row> events = read("events", "2024-03-25");
        List<String[]> labels = new ArrayList<>();
        for (String line : Files.readAllLines(SparkTestSession.projectDir().resolve("data-samples/labels.csv"))
                .subList(1, 6)) {
            labels.add(line.split(","));
        }
        int found = 0;
        List<String> missed = new ArrayList<>();
        for (String[] l : labels) {
            long hits = events.filter(col("series_id").equalTo(l[0])
                    .and(col("start_ts").leq(Timestamp.valueOf(l[2])))
                    .and(col("end_ts").geq(Timestamp.valueOf(l[1])))).count();
            if (hits > 0) {
                found++;
            } else {
                missed.add(l[0] + " " + l[3]);
            }
        }
        assertEquals(labels.size(), found, "injected anomalies not flagged: " + missed);
        long flagged = (Long) r.count("rows_flagged");
        long scored = (Long) r.count("rows_scored");
        assertTrue(flagged < 0.05 * scored, "too many false alarms: " + flagged + " of " + scored);
    }

    @Test
    void rowsWithoutAFullHistoryAreWrittenWithAReason() throws IOException {
        RunReport r = new RunReport("detect");
        ScoringJobs.detect(spark, ScoringConfig.from(config("run.date=2001-01-01",
                "detect.from=2024-02-12 00:00:00", "detect.to=2024-02-16 23:00:00")), r);
        @SuppressWarnings("unchecked")
        Map<String, Long> unscored = (Map<String, Long>) r.count("rows_unscored");
        // sensor-01 resumes on 2024-02-13 after its three-day gap: its first 48 steps have no full lookback
        assertEquals(Map.of("insufficient_history", 48L), unscored);
        assertEquals(true, r.count("rows_balanced"));
        assertEquals(48, read("anomalies", "2001-01-01").filter(col("reason").equalTo("insufficient_history")
                .and(col("series_id").equalTo("sensor-01")).and(col("anomaly_score").isNull())).count());
    }

    @Test
    void aSeriesUnseenInTrainingFollowsTheStatedPolicy() throws IOException {
        Scoring.Model m = ScoringJobsAccess.model(config());
        long[] ts = new long[60];
        boolean[] filled = new boolean[60];
        String[] split = new String[60];
        double[][] v = new double[2][60];
        for (int t = 0; t < 60; t++) {
            ts[t] = t * 3_600_000L;
            split[t] = "test";
            v[0][t] = 50 + 10 * Math.sin(t / 4.0);
            v[1][t] = 5;
        }
        Scoring.SeriesSegment s = new Scoring.SeriesSegment("brand-new", 0, ts, filled, split, v);
        List<Row> skip = new ArrayList<>();
        Scoring.detect(List.of(s).iterator(), m, ScoringConfig.from(config("detect.unseenSeries=skip")))
                .forEachRemaining(skip::add);
        assertEquals(60, skip.size());
        assertTrue(skip.stream().allMatch(x -> "unseen_series".equals(x.getString(7))));
        List<Row> global = new ArrayList<>();
        Scoring.detect(List.of(s).iterator(), m, ScoringConfig.from(config())).forEachRemaining(global::add);
        assertEquals(60 - 48, global.stream().filter(x -> !x.isNullAt(5)).count());
    }

    @Test
    void seriesPreparedAsCsvScoreLikeParquet() throws IOException {
        // prepare with output.format=csv writes series/ as CSV; forecast and detect once read it as Parquet and failed
        String csvOut = tmp.resolve("out-csv").toString();
        Config c = config("output.dir=" + csvOut, "output.format=csv", "model.registry=" + tmp.resolve("out/models"),
                "run.date=2024-03-26");
        RunReport prep = new RunReport("prepare");
        PrepareJob.run(spark, PrepareConfig.from(c), prep);
        Storage.local().writeJson(PrepareConfig.from(c).outputDir() + "/_summary.json",
                prep.summary("succeeded", c.effective(), null));
        try (var files = Files.list(Path.of(csvOut, "prepared", PreparedLayout.SERIES))) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith(".csv")), "prepare wrote no CSV");
        }
        RunReport fCsv = new RunReport("forecast");
        ScoringJobs.forecast(spark, ScoringConfig.from(c), fCsv);
        RunReport fRef = new RunReport("forecast");
        ScoringJobs.forecast(spark, ScoringConfig.from(config("run.date=2024-03-26")), fRef);
        assertEquals(6L, fCsv.count("series"));
        assertEquals(fRef.count("rows_out"), fCsv.count("rows_out"));
        Map<String, Double> ref = new java.util.HashMap<>();
        for (Row x : read("forecasts", "2024-03-26").collectAsList()) {
            ref.put(x.getAs("series_id") + "/" + x.getAs("step"), x.getAs("forecast"));
        }
        List<Row> got = spark.read().option("header", "true").option("inferSchema", "true")
                .csv(csvOut + "/forecasts/run_date=2024-03-26").collectAsList();
        assertEquals(ref.size(), got.size());
        for (Row x : got) {
            Double expected = ref.get(x.getAs("series_id") + "/" + x.getAs("step"));
            assertEquals(expected, (double) x.getAs("forecast"), 1e-9, x.toString());
        }
        RunReport dCsv = new RunReport("detect");
        ScoringJobs.detect(spark, ScoringConfig.from(c), dCsv);
        RunReport dRef = new RunReport("detect");
        ScoringJobs.detect(spark, ScoringConfig.from(config("run.date=2024-03-26")), dRef);
        assertEquals(true, dCsv.count("rows_balanced"));
        for (String k : List.of("rows_in", "rows_scored", "rows_flagged")) {
            assertEquals(dRef.count(k), dCsv.count(k), k);
        }
    }

    @Test
    void aModelForOtherColumnsIsRejectedBeforeScoring() throws IOException {
        ScoringConfig oneColumn = ScoringConfig.from(config("input.valueColumns=load_kw"));
        ConfigException e = assertThrows(ConfigException.class, () -> ScoringJobs.forecast(spark, oneColumn,
                new RunReport("f")));
        assertEquals("input.valueColumns", e.key());
        assertTrue(e.getMessage().contains("[load_kw, ambient_c]"), e.getMessage());
        Config badDate = config("run.date=25/03/2024");
        e = assertThrows(ConfigException.class, () -> ScoringConfig.from(badDate));
        assertEquals("run.date", e.key());
        Config halfBacktest = config("forecast.from=2024-03-01");
        e = assertThrows(ConfigException.class, () -> ScoringConfig.from(halfBacktest));
        assertEquals("forecast.to", e.key());
        Config plain = config();
        assertFalse(ScoringConfig.from(plain).backtest());
    }
}
