package io.tsforge.spark;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.EvaluateConfig;
import io.tsforge.config.PrepareConfig;
import io.tsforge.core.Normalizer;
import io.tsforge.eval.DetectionCounts;
import io.tsforge.eval.Labels;
import io.tsforge.eval.NabScorer;
import io.tsforge.eval.NoveltyBaseline;
import io.tsforge.eval.StreamingNoveltyDetector;
import io.tsforge.io.NormalizerJson;
import io.tsforge.io.Storage;
import io.tsforge.jobs.EvaluateJob;
import io.tsforge.jobs.PrepareJob;
import io.tsforge.jobs.RunReport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * evaluate end to end on two synthetic hourly series whose errors are known exactly: "a" (a daily sine plus a trend
 * of 0.1 per hour) is forecast 1 too high with an interval that contains the actual; "b" (a line rising 0.5 per hour)
 * is forecast 2 too low with an interval that misses it. Anomaly rows carry one early detection in a three-row label
 * window of "a" and one false positive in "b".
 */
class EvaluateSparkTest {

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static final int N = 400;          // steps per series: train 240, validation 80, test 80 (from step 320)
    static final int H = 6;
    static final long HOUR = 3_600_000L;
    static final long T0 = LocalDateTime.of(2024, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC) * 1000;
    static Map<String, Object> metrics;
    static Normalizer normalizer;

    static double value(String s, int t) {
        return s.equals("a") ? 50 + 10 * Math.sin(2 * Math.PI * t / 24) + 0.1 * t : 10 + 0.5 * t;
    }

    static Config config(String... more) throws IOException {
        List<String> s = new ArrayList<>(List.of("input.path=" + tmp.resolve("in.csv"), "input.idColumn=id",
                "input.timeColumn=ts", "input.valueColumns=v", "series.frequency=1h", "split.trainFraction=0.6",
                "split.validationFraction=0.2", "window.lookback=24", "window.horizon=" + H,
                "output.dir=" + tmp.resolve("out"), "run.date=2024-02-01"));
        s.addAll(List.of(more));
        return Config.load(null, s);
    }

    @BeforeAll
    static void prepareAndWriteOutputs() throws IOException {
        spark = SparkTestSession.get();
        StringBuilder csv = new StringBuilder("id,ts,v\n");
        for (String s : List.of("a", "b")) {
            for (int t = 0; t < N; t++) {
                csv.append(s).append(',').append(new Timestamp(T0 + t * HOUR).toInstant()).append(',')
                        .append(value(s, t)).append('\n');
            }
        }
        Files.writeString(tmp.resolve("in.csv"), csv);
        Config c = config();
        RunReport r = new RunReport("prepare");
        PrepareJob.run(spark, PrepareConfig.from(c), r);
        String prepared = PrepareConfig.from(c).outputDir();
        Storage.local().writeJson(prepared + "/_summary.json", r.summary("succeeded", c.effective(), null));
        normalizer = NormalizerJson.fromJson(Storage.local().readJson(prepared + "/stats/normalization.json"));

        // forecasts from every test step: a is 1 too high (inside its interval), b 2 too low (outside)
        List<Row> fc = new ArrayList<>();
        for (String s : List.of("a", "b")) {
            for (int t = 320; t < N; t++) {
                for (int k = 1; k <= H; k++) {
                    double actual = value(s, t + k); // beyond the data the "actual" is unknown to evaluate
                    double f = s.equals("a") ? actual + 1 : actual - 2;
                    double lo = s.equals("a") ? f - 2 : f - 1;
                    double hi = s.equals("a") ? f + 2 : f + 1;
                    fc.add(RowFactory.create(s, new Timestamp(T0 + t * HOUR), new Timestamp(T0 + (t + k) * HOUR), k,
                            f, lo, hi, "v1"));
                }
            }
        }
        spark.createDataFrame(fc, Scoring.forecastSchema(List.of(0.8))).write()
                .parquet(tmp.resolve("out/forecasts/run_date=2024-02-01").toString());

        List<Row> an = new ArrayList<>();
        for (String s : List.of("a", "b")) {
            for (int t = 320; t < N; t++) {
                double score = s.equals("a") && t == 340 ? 0.9 : s.equals("b") && t == 350 ? 0.95 : 0.1;
                an.add(RowFactory.create(s, new Timestamp(T0 + t * HOUR), value(s, t), value(s, t), 0.0, score,
                        score > 0.5, null, "v1"));
            }
        }
        spark.createDataFrame(an, Scoring.anomalySchema()).write()
                .parquet(tmp.resolve("out/anomalies/run_date=2024-02-01").toString());
        Files.writeString(tmp.resolve("labels.csv"), "series_id,start,end,kind\na," + iso(340) + "," + iso(342)
                + ",test\n");

        Path bundle = tmp.resolve("out/models/forecaster/v1");
        Files.createDirectories(bundle);
        Files.writeString(tmp.resolve("out/models/forecaster/latest"), "v1");
        Files.writeString(bundle.resolve("metrics.json"), "{\"epochs\": [{\"epoch\": 1, \"trainLoss\": 0.9, "
                + "\"validationLoss\": 1.0}, {\"epoch\": 2, \"trainLoss\": 0.5, \"validationLoss\": 0.6}], "
                + "\"bestEpoch\": 2}");

        metrics = EvaluateJob.run(spark, EvaluateConfig.from(config("evaluate.labels=" + tmp.resolve("labels.csv"))),
                new RunReport("evaluate"));
    }

    static String iso(int t) {
        return new Timestamp(T0 + t * HOUR).toInstant().toString();
    }

    static JsonNode json() {
        return Storage.local().readJson(tmp.resolve("out/evaluation/run_date=2024-02-01/metrics.json").toString());
    }

    @Test
    void modelErrorsMatchTheKnownOffsets() {
        JsonNode f = json().path("forecast");
        JsonNode model = f.path("model");
        // 80 origins x 6 steps per series, less the 21 targets past the end of the data
        assertEquals(2 * (80 * H - 21), model.path("overall").path("count").asLong());
        assertEquals(21 * 2L, ((Map<?, ?>) metrics.get("forecast_rows")).get("rows_without_actual"));
        assertEquals(1.5, model.path("overall").path("mae").asDouble(), 1e-9);
        assertEquals(Math.sqrt(2.5), model.path("overall").path("rmse").asDouble(), 1e-9);
        assertEquals(1.0, model.path("per_series").path("a").path("mae").asDouble(), 1e-9);
        assertEquals(2.0, model.path("per_series").path("b").path("mae").asDouble(), 1e-9);
        for (int k = 1; k <= H; k++) {
            assertEquals(1.5, model.path("per_step").path(Integer.toString(k)).path("mae").asDouble(), 1e-9);
        }
        // MASE: in-sample seasonal-naive MAE over the training range is 0.1 * 24 = 2.4 for a and 0.5 * 24 = 12 for b
        assertEquals(1 / 2.4, model.path("per_series").path("a").path("mase").asDouble(), 1e-6);
        assertEquals(2 / 12.0, model.path("per_series").path("b").path("mase").asDouble(), 1e-6);
        double scaleB = normalizer.scaleFor("b").scale()[0];
        assertEquals(Math.pow(2 / scaleB, 2), model.path("per_series").path("b").path("mse_norm").asDouble(), 1e-9);
        assertEquals(0.5, json().path("interval_coverage").path("80").asDouble(), 1e-9);
    }

    @Test
    void baselinesAreForecastFromTheSameOrigins() {
        JsonNode f = json().path("forecast");
        assertEquals(List.of("model", "last_value", "seasonal_naive", "linear_ar"), fieldNames(f));
        // b rises 0.5 per step: repeating the last value misses by 0.5 k; the seasonal naive by 0.5 * 24
        assertEquals(lastValueMae("b"), f.path("last_value").path("per_series").path("b").path("mae").asDouble(),
                1e-9);
        assertEquals(lastValueMae("a"), f.path("last_value").path("per_series").path("a").path("mae").asDouble(),
                1e-9);
        assertEquals(12.0, f.path("seasonal_naive").path("per_series").path("b").path("mae").asDouble(), 1e-9);
        assertEquals(2.4, f.path("seasonal_naive").path("per_series").path("a").path("mae").asDouble(), 1e-9);
        // both series follow exact linear recurrences: the MLlib autoregression must beat repeating the last value
        double ar = f.path("linear_ar").path("overall").path("mae").asDouble();
        double last = f.path("last_value").path("overall").path("mae").asDouble();
        assertTrue(ar < 0.2 * last, "linear AR MAE " + ar + " vs last value " + last);
        assertEquals(f.path("model").path("overall").path("count").asLong(),
                f.path("linear_ar").path("overall").path("count").asLong());
    }

    /** The last-value forecast's MAE of a series, recomputed from the generating formula (Spark-free). */
    static double lastValueMae(String series) {
        double sum = 0;
        int n = 0;
        for (int t = 320; t < N; t++) {
            for (int k = 1; k <= H && t + k < N; k++) {
                sum += Math.abs(value(series, t) - value(series, t + k));
                n++;
            }
        }
        return sum / n;
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void anomalyMetricsAndNabScores() {
        JsonNode m = json().path("anomaly").path("model");
        assertEquals(1, m.path("tp").asLong());
        assertEquals(1, m.path("fp").asLong());
        assertEquals(2, m.path("fn").asLong());
        assertEquals(0.5, m.path("precision").asDouble(), 1e-9);
        assertEquals(1 / 3.0, m.path("recall").asDouble(), 1e-9);
        assertEquals(0.75, m.path("pa_precision").asDouble(), 1e-9);
        assertEquals(1.0, m.path("pa_recall").asDouble(), 1e-9);
        assertEquals(0, m.path("mean_detection_delay_steps").asDouble(), 1e-9);
        // best threshold 0.9: the earliest detection (+1) and one FP before any window of its series (-A_FP)
        assertEquals(100 * (1 - 0.11 + 1) / 2, m.path("nab_standard").asDouble(), 1e-9);
        assertEquals(100 * (1 - 0.22 + 1) / 2, m.path("nab_low_fp").asDouble(), 1e-9);
        assertEquals(100 * (1 - 0.11 + 2) / 3, m.path("nab_low_fn").asDouble(), 1e-9);
        assertEquals(0.9, m.path("nab_standard_threshold").asDouble(), 1e-12);
        JsonNode b = json().path("anomaly").path("seasonal_residual");
        assertTrue(b.path("nab_standard").isNumber() && b.path("rows").asLong() == 160, b.toString());
    }

    /**
     * The novelty baseline is a row of the anomaly table computed on the same 160 rows as the model: its counts and
     * NAB score equal those recomputed Spark-free from the generating formula (probation: the 240 training rows,
     * online from there, reported from step 320 where detect's rows start).
     */
    @Test
    void noveltyBaselineIsScoredOnTheModelsRows() {
        JsonNode an = json().path("anomaly");
        assertEquals(List.of("model", "seasonal_residual", "streaming_novelty"), fieldNames(an));
        JsonNode nv = an.path("streaming_novelty");
        assertEquals(an.path("model").path("rows").asLong(), nv.path("rows").asLong());
        assertEquals(160, nv.path("rows").asLong());
        assertEquals(0L, ((Map<?, ?>) metrics.get("anomaly_rows")).get("novelty_rows_unscored"));
        DetectionCounts all = new DetectionCounts();
        List<NabScorer.File> files = new ArrayList<>();
        List<Labels.Window> w = List.of(new Labels.Window(T0 + 340 * HOUR, T0 + 342 * HOUR));
        double fire = StreamingNoveltyDetector.Settings.defaults().fireLevel();
        for (String sid : List.of("a", "b")) {
            long[] ts = new long[N];
            double[] v = new double[N];
            boolean[] train = new boolean[N];
            for (int t = 0; t < N; t++) {
                ts[t] = T0 + t * HOUR;
                v[t] = value(sid, t);
                train[t] = t < 240;
            }
            NoveltyBaseline.Result r = NoveltyBaseline.score(ts, v, train, T0 + 320 * HOUR, 24);
            assertEquals(240, r.probation());
            long[] sts = Arrays.copyOfRange(ts, 320, N);
            double[] sc = Arrays.copyOfRange(r.scores(), 320, N);
            boolean[] flags = new boolean[sc.length];
            for (int i = 0; i < sc.length; i++) {
                flags[i] = sc[i] >= fire;
            }
            List<Labels.Window> mine = sid.equals("a") ? w : List.of();
            all.merge(DetectionCounts.ofSeries(sts, flags, mine));
            files.add(new NabScorer.File(sid, sts, sc, mine));
        }
        assertEquals(all.tp(), nv.path("tp").asLong());
        assertEquals(all.fp(), nv.path("fp").asLong());
        assertEquals(all.fn(), nv.path("fn").asLong());
        assertEquals(all.windowsDetected(), nv.path("windows_detected").asLong());
        assertEquals(new NabScorer(0, 0).optimise(files, NabScorer.PROFILES.get(0)).normalized(),
                nv.path("nab_standard").asDouble(), 1e-9);
    }

    @Test
    void writesMarkdownAndASelfContainedReport() throws IOException {
        Path dir = tmp.resolve("out/evaluation/run_date=2024-02-01");
        String md = Files.readString(dir.resolve("metrics.md"));
        int model = md.indexOf("| model | 918 |");
        assertTrue(model > 0 && md.indexOf("| last_value |") > model && md.indexOf("| linear_ar |") > model, md);
        assertTrue(md.contains("| seasonal_residual |"), md);
        int novelty = md.indexOf("| streaming_novelty |");
        assertTrue(novelty > md.indexOf("| seasonal_residual |"), md);
        assertTrue(Files.readString(dir.resolve("report.html")).contains("<td>streaming_novelty</td>"),
                "the HTML anomaly table has the novelty row");
        String html = Files.readString(dir.resolve("report.html"));
        int images = html.split("data:image/png;base64,", -1).length - 1;
        assertEquals(5, images, "loss, two forecasts, two anomaly charts");
        assertTrue(html.contains("<table>") && !html.contains("src=\"charts/"), "self-contained");
        try (var files = Files.list(dir.resolve("charts"))) {
            assertEquals(5, files.count());
        }
    }

    @Test
    void badInputsFailNamingTheKeyAndValue() throws IOException {
        ConfigException missing = assertThrows(ConfigException.class, () -> EvaluateJob.run(spark,
                EvaluateConfig.from(config("evaluate.forecasts=" + tmp.resolve("nope"))), new RunReport("e")));
        assertTrue(missing.getMessage().contains("evaluate.forecasts") && missing.getMessage().contains("nope"),
                missing.getMessage());
        spark.read().parquet(tmp.resolve("out/forecasts/run_date=2024-02-01").toString()).drop("step").write()
                .parquet(tmp.resolve("nostep").toString());
        ConfigException column = assertThrows(ConfigException.class, () -> EvaluateJob.run(spark,
                EvaluateConfig.from(config("evaluate.forecasts=" + tmp.resolve("nostep"))), new RunReport("e")));
        assertTrue(column.getMessage().contains("lacks column 'step'"), column.getMessage());
        ConfigException labels = assertThrows(ConfigException.class,
                () -> EvaluateConfig.from(config("evaluate.labels=labels.txt")));
        assertTrue(labels.getMessage().contains("labels.txt"), labels.getMessage());
        assertThrows(ConfigException.class, () -> config("evaluate.season=0"));
    }
}
