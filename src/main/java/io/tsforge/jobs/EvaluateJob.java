package io.tsforge.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsforge.config.ConfigException;
import io.tsforge.config.EvaluateConfig;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.TimestampParser;
import io.tsforge.eval.Baselines;
import io.tsforge.eval.DetectionCounts;
import io.tsforge.eval.ForecastEvaluation;
import io.tsforge.eval.Labels;
import io.tsforge.eval.NabScorer;
import io.tsforge.eval.NoveltyBaseline;
import io.tsforge.eval.SeasonalResidualDetector;
import io.tsforge.eval.SeasonalScale;
import io.tsforge.eval.StreamingNoveltyDetector;
import io.tsforge.io.NormalizerJson;
import io.tsforge.io.Storage;
import io.tsforge.model.ModelBundle;
import io.tsforge.report.ChartData;
import io.tsforge.report.EvaluationReport;
import io.tsforge.spark.PreparedLayout;
import io.tsforge.spark.Scoring;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.ml.regression.LinearRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.io.Serializable;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

/**
 * {@code evaluate}: judges a {@code forecast} output (a backtest) and/or a {@code detect} output against the prepared
 * data. Forecasts get MAE, RMSE, sMAPE, MASE and normalized MSE/MAE, overall, per step and per series, next to three
 * baselines forecast from the same origins: last value, seasonal naive ({@code evaluate.season}) and a linear
 * autoregression on {@code evaluate.lags} lags fitted with Spark MLlib on the training range. Anomaly rows get
 * precision, recall and F1 (plain and point-adjusted), time to detection and the three NAB scores, next to two
 * non-deep detectors on the same rows: a seasonal-naive residual detector and the streaming novelty detector
 * ({@link NoveltyBaseline}: fitted on the training rows before the first scored row, run online). Writes {@code metrics.json}, {@code metrics.md} and {@code report.html}.
 */
public final class EvaluateJob {

    public static final String MODEL = "model";
    public static final String LAST_VALUE = "last_value";
    public static final String SEASONAL_NAIVE = "seasonal_naive";
    public static final String LINEAR_AR = "linear_ar";
    public static final String BASELINE_DETECTOR = "seasonal_residual";
    public static final String NOVELTY_DETECTOR = "streaming_novelty";

    private EvaluateJob() {
    }

    /** The linear autoregression's fitted coefficients (oldest lag first), in normalized units. */
    record Autoregression(double[] coefficients, double intercept) implements Serializable {
    }

    public static Map<String, Object> run(SparkSession spark, EvaluateConfig cfg, RunReport report) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Storage storage = new Storage(jsc.hadoopConfiguration());

        report.stage("check-inputs");
        String summary = cfg.preparedDir() + "/" + PreparedLayout.SUMMARY;
        if (!storage.exists(summary)) {
            throw new ConfigException("output.dir", "no prepared data: " + summary + " does not exist (run prepare "
                    + "first)");
        }
        boolean haveForecasts = present(storage, cfg.forecasts(), cfg.forecastsExplicit(), "evaluate.forecasts");
        boolean haveAnomalies = present(storage, cfg.anomalies(), cfg.anomaliesExplicit(), "evaluate.anomalies");
        if (!haveForecasts && !haveAnomalies) {
            throw new ConfigException("evaluate.forecasts", "nothing to evaluate: neither " + cfg.forecasts()
                    + " nor " + cfg.anomalies() + " exists (run forecast and/or detect first, or set "
                    + "evaluate.forecasts / evaluate.anomalies)");
        }
        Labels labels = null;
        if (cfg.labels() != null) {
            if (!storage.exists(cfg.labels())) {
                throw new ConfigException("evaluate.labels", "file not found: " + cfg.labels());
            }
            TimestampParser tp = TimestampParser.of("auto", cfg.zone());
            String text = storage.readText(cfg.labels());
            try {
                labels = cfg.labels().endsWith(".json")
                        ? Labels.parseNabWindows(text, tp, Labels::nabFileName, cfg.labels())
                        : Labels.parseCsv(text, tp, cfg.labels());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("evaluate.labels", e.getMessage());
            }
        }
        Normalizer normalizer = NormalizerJson.fromJson(storage.readJson(cfg.preparedDir() + "/"
                + PreparedLayout.STATS));
        Broadcast<Normalizer> norm = jsc.broadcast(normalizer);
        JavaRDD<Scoring.SeriesSegment> segs = Scoring.segments(spark, cfg.preparedDir(), List.of(cfg.target()),
                jsc.defaultParallelism()).persist(StorageLevel.MEMORY_AND_DISK());

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("prepared", cfg.preparedDir());
        metrics.put("target", cfg.target());
        metrics.put("season", cfg.season());
        List<ChartData.Forecast> forecastCharts = new ArrayList<>();
        List<ChartData.Anomalies> anomalyCharts = new ArrayList<>();
        ForecastEvaluation evaluation = null;
        Map<String, Map<String, Object>> detection = null;
        if (haveForecasts) {
            evaluation = forecasts(spark, jsc, cfg, segs, norm, report, metrics, forecastCharts);
        } else {
            report.log("no forecasts at " + cfg.forecasts() + ": forecast evaluation skipped");
        }
        if (haveAnomalies) {
            detection = anomalies(spark, jsc, cfg, segs, norm, labels, report, metrics, anomalyCharts);
        } else {
            report.log("no anomaly rows at " + cfg.anomalies() + ": anomaly evaluation skipped");
        }
        segs.unpersist(false);

        report.stage("report");
        ChartData.Loss loss = loss(storage, cfg, report);
        metrics.put("model", loss == null ? null : loss.model());
        EvaluationReport.Written w = EvaluationReport.write(storage, cfg.output(), metrics, evaluation, detection,
                loss, forecastCharts, anomalyCharts);
        report.count("metrics_json", w.json());
        report.count("metrics_md", w.markdown());
        report.count("report_html", w.html());
        report.count("charts", w.charts());
        report.log("metrics -> " + w.json() + ", " + w.markdown() + "; report -> " + w.html() + " (" + w.charts()
                + " charts)");
        return metrics;
    }

    private static boolean present(Storage storage, String path, boolean explicit, String key) {
        if (storage.exists(path)) {
            return true;
        }
        if (explicit) {
            throw new ConfigException(key, "not found: " + path);
        }
        return false;
    }

    static Dataset<Row> readTable(SparkSession spark, Storage storage, String path) {
        try {
            org.apache.hadoop.fs.FileSystem fs = storage.fs(path);
            for (org.apache.hadoop.fs.FileStatus s : fs.listStatus(new org.apache.hadoop.fs.Path(path))) {
                if (s.getPath().getName().endsWith(".csv")) {
                    return spark.read().option("header", "true").option("inferSchema", "true").csv(path);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return spark.read().parquet(path);
    }

    static void requireColumns(Dataset<Row> df, String key, String path, String... names) {
        List<String> have = Arrays.asList(df.columns());
        for (String n : names) {
            if (!have.contains(n)) {
                throw new ConfigException(key, path + " lacks column '" + n + "'; found " + have);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- forecasts

    private static ForecastEvaluation forecasts(SparkSession spark, JavaSparkContext jsc, EvaluateConfig cfg,
                                                JavaRDD<Scoring.SeriesSegment> segs, Broadcast<Normalizer> norm,
                                                RunReport report, Map<String, Object> metrics,
                                                List<ChartData.Forecast> charts) {
        Storage storage = new Storage(jsc.hadoopConfiguration());
        report.stage("forecast-baselines");
        Dataset<Row> fc = readTable(spark, storage, cfg.forecasts());
        requireColumns(fc, "evaluate.forecasts", cfg.forecasts(), "series_id", "origin_ts", "target_ts", "step",
                "forecast");
        List<String> intervals = new ArrayList<>();
        for (String c : fc.columns()) {
            if (c.startsWith("lower_") && Arrays.asList(fc.columns()).contains("upper_" + c.substring(6))) {
                intervals.add(c.substring(6));
            }
        }
        fc = fc.persist(StorageLevel.MEMORY_AND_DISK());
        long modelRows = fc.count();
        if (modelRows == 0) {
            throw new ConfigException("evaluate.forecasts", cfg.forecasts() + " holds no forecast rows");
        }
        int horizon = ((Number) fc.agg(max("step")).first().get(0)).intValue();
        Map<String, List<Long>> originLists = new TreeMap<>();
        for (Row r : fc.select("series_id", "origin_ts").distinct().collectAsList()) {
            originLists.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getTimestamp(1).getTime());
        }
        Map<String, long[]> origins = new HashMap<>();
        originLists.forEach((k, v) -> origins.put(k, v.stream().mapToLong(Long::longValue).sorted().toArray()));
        long originCount = origins.values().stream().mapToLong(a -> a.length).sum();
        Broadcast<Map<String, long[]>> originsB = jsc.broadcast(origins);

        int season = cfg.season();
        Map<String, SeasonalScale> scales = new HashMap<>(segs.mapToPair(s -> new Tuple2<>(s.seriesId(),
                        new SeasonalScale(season).addSegment(s.values()[0], isSplit(s, "train"))))
                .reduceByKey(SeasonalScale::merge).collectAsMap());
        Map<String, Double> scaleValues = new HashMap<>();
        scales.forEach((k, v) -> scaleValues.put(k, v.scale()));
        Broadcast<Map<String, Double>> scalesB = jsc.broadcast(scaleValues);

        Autoregression ar = fitAutoregression(spark, segs, norm, cfg.lags(), report);
        Broadcast<Autoregression> arB = jsc.broadcast(ar);

        StructType baseSchema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("origin_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("step", DataTypes.IntegerType, false),
                DataTypes.createStructField("actual", DataTypes.DoubleType, false),
                DataTypes.createStructField(LAST_VALUE, DataTypes.DoubleType, false),
                DataTypes.createStructField(SEASONAL_NAIVE, DataTypes.DoubleType, true),
                DataTypes.createStructField(LINEAR_AR, DataTypes.DoubleType, true)));
        JavaRDD<Row> baseRows = segs.flatMap(s -> baselineRows(s, originsB.value().get(s.seriesId()), horizon,
                season, arB.value(), norm.value()).iterator());
        Dataset<Row> base = spark.createDataFrame(baseRows, baseSchema);
        List<String> modelCols = new ArrayList<>(List.of("series_id", "origin_ts", "step", "forecast"));
        for (String i : intervals) {
            modelCols.add("lower_" + i);
            modelCols.add("upper_" + i);
        }
        Dataset<Row> joined = fc.selectExpr(modelCols.stream().map(c -> "`" + c + "`").toArray(String[]::new))
                .withColumn("step", col("step").cast("int"))
                .withColumn("origin_ts", col("origin_ts").cast("timestamp"))
                .join(base, scala.collection.JavaConverters.asScalaBuffer(List.of("series_id", "origin_ts", "step"))
                        .toSeq(), "inner")
                .persist(StorageLevel.MEMORY_AND_DISK());
        long withActual = joined.count();
        Dataset<Row> common = joined.filter(col(SEASONAL_NAIVE).isNotNull().and(ar == null ? col("step").isNotNull()
                : col(LINEAR_AR).isNotNull()));
        report.stage("forecast-metrics");
        boolean withAr = ar != null;
        List<String> ivs = List.copyOf(intervals);
        ForecastEvaluation e = common.javaRDD().mapPartitions((Iterator<Row> it) -> {
            ForecastEvaluation part = new ForecastEvaluation();
            while (it.hasNext()) {
                Row r = it.next();
                String sid = r.getAs("series_id");
                int step = r.getAs("step");
                double actual = r.getAs("actual");
                Normalization.Scale sc = norm.value().scaleFor(sid);
                Double mase = scalesB.value().get(sid);
                double m = mase == null ? Double.NaN : mase;
                double an = sc.apply(0, actual);
                addRow(part, MODEL, sid, step, actual, r.getAs("forecast"), an, sc, m);
                addRow(part, LAST_VALUE, sid, step, actual, r.getAs(LAST_VALUE), an, sc, m);
                addRow(part, SEASONAL_NAIVE, sid, step, actual, r.getAs(SEASONAL_NAIVE), an, sc, m);
                if (withAr) {
                    addRow(part, LINEAR_AR, sid, step, actual, r.getAs(LINEAR_AR), an, sc, m);
                }
                for (String i : ivs) {
                    Number lo = r.getAs("lower_" + i);
                    Number hi = r.getAs("upper_" + i);
                    part.addCoverage(i, actual >= lo.doubleValue() && actual <= hi.doubleValue());
                }
            }
            return List.of(part).iterator();
        }).reduce(ForecastEvaluation::merge);
        long scored = e.forecasters().get(MODEL) == null ? 0 : e.get(MODEL).overall().count();
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("forecasts", cfg.forecasts());
        counts.put("model_rows", modelRows);
        counts.put("origins", originCount);
        counts.put("horizon", horizon);
        counts.put("rows_without_actual", modelRows - withActual);
        counts.put("rows_without_baseline_history", withActual - scored);
        counts.put("rows_scored", scored);
        counts.put("linear_ar_lags", cfg.lags());
        counts.put("linear_ar", ar == null ? "not fitted (too little training data)" : "fitted");
        metrics.put("forecast_rows", counts);
        report.count("forecast_rows_scored", scored);
        report.count("forecast_rows_without_actual", modelRows - withActual);
        report.count("forecast_rows_without_baseline_history", withActual - scored);
        if (scored > 0) {
            report.log(String.format(Locale.ROOT, "%,d forecast rows scored (%,d origins); MAE model %.4f, last value "
                            + "%.4f, seasonal naive %.4f%s", scored, originCount, e.get(MODEL).overall().mae(),
                    e.get(LAST_VALUE).overall().mae(), e.get(SEASONAL_NAIVE).overall().mae(),
                    withAr ? String.format(Locale.ROOT, ", linear AR %.4f", e.get(LINEAR_AR).overall().mae()) : ""));
        } else {
            report.log("no forecast row has an actual value and baseline history: nothing scored (a forecast from "
                    + "the end of the data has no actuals; run forecast in backtest mode)");
        }
        forecastCharts(cfg, segs, joined, intervals, horizon, charts);
        joined.unpersist(false);
        fc.unpersist(false);
        return e;
    }

    private static void addRow(ForecastEvaluation e, String name, String sid, int step, double actual, Object forecast,
                               double actualNorm, Normalization.Scale sc, double mase) {
        double f = ((Number) forecast).doubleValue();
        e.add(name, sid, step, actual, f, actualNorm, sc.apply(0, f), mase);
    }

    static boolean[] isSplit(Scoring.SeriesSegment s, String split) {
        boolean[] b = new boolean[s.ts().length];
        for (int t = 0; t < b.length; t++) {
            b[t] = split.equals(s.split()[t]);
        }
        return b;
    }

    /** Rows of (normalized lags, next normalized value) where the next value is in the training range. */
    private static Autoregression fitAutoregression(SparkSession spark, JavaRDD<Scoring.SeriesSegment> segs,
                                                    Broadcast<Normalizer> norm, int lags, RunReport report) {
        JavaRDD<Row> rows = segs.flatMap(s -> {
            List<Row> out = new ArrayList<>();
            double[] y = normalized(s, norm.value());
            for (int t = lags; t < y.length; t++) {
                if ("train".equals(s.split()[t])) {
                    out.add(RowFactory.create(Vectors.dense(Arrays.copyOfRange(y, t - lags, t)), y[t]));
                }
            }
            return out.iterator();
        });
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("features", SQLDataTypes.VectorType(), false),
                DataTypes.createStructField("label", DataTypes.DoubleType, false)));
        Dataset<Row> train = spark.createDataFrame(rows, schema).persist(StorageLevel.MEMORY_AND_DISK());
        long n = train.count();
        if (n < 2L * (lags + 1)) {
            train.unpersist(false);
            report.log("linear AR baseline skipped: " + n + " training rows for " + lags + " lags");
            return null;
        }
        // a small ridge keeps the normal equations well conditioned when lags are nearly collinear
        LinearRegressionModel m = new LinearRegression().setSolver("normal").setRegParam(1e-4)
                .setElasticNetParam(0.0).fit(train);
        train.unpersist(false);
        report.log(String.format(Locale.ROOT, "linear AR baseline: %d lags fitted on %,d training rows (MLlib, "
                + "training RMSE %.4f normalized)", lags, n, m.summary().rootMeanSquaredError()));
        return new Autoregression(m.coefficients().toArray(), m.intercept());
    }

    static double[] normalized(Scoring.SeriesSegment s, Normalizer n) {
        Normalization.Scale sc = n.scaleFor(s.seriesId());
        double[] y = new double[s.ts().length];
        for (int t = 0; t < y.length; t++) {
            y[t] = sc.apply(0, s.values()[0][t]);
        }
        return y;
    }

    /** Baseline forecasts from each of the series' origins inside this segment, with the actual values. */
    static List<Row> baselineRows(Scoring.SeriesSegment s, long[] origins, int horizon, int season, Autoregression ar,
                                  Normalizer n) {
        List<Row> out = new ArrayList<>();
        if (origins == null) {
            return out;
        }
        double[] y = s.values()[0];
        double[] yn = ar == null ? null : normalized(s, n);
        Normalization.Scale sc = n.scaleFor(s.seriesId());
        for (long o : origins) {
            int t = Arrays.binarySearch(s.ts(), o);
            if (t < 0) {
                continue;
            }
            double[] last = Baselines.lastValue(y, t, horizon);
            double[] seasonal = Baselines.seasonalNaive(y, t, season, horizon);
            double[] auto = ar == null ? null : Baselines.autoregressive(ar.coefficients(), ar.intercept(), yn, t,
                    horizon);
            for (int k = 1; k <= horizon && t + k < y.length; k++) {
                out.add(RowFactory.create(s.seriesId(), new Timestamp(o), k, y[t + k], last[k - 1],
                        seasonal == null ? null : seasonal[k - 1],
                        auto == null ? null : sc.invert(0, auto[k - 1])));
            }
        }
        return out;
    }

    /** For the first few series: the last origin with a full horizon of actuals, and three horizons of history. */
    private static void forecastCharts(EvaluateConfig cfg, JavaRDD<Scoring.SeriesSegment> segs, Dataset<Row> joined,
                                       List<String> intervals, int horizon, List<ChartData.Forecast> charts) {
        String widest = intervals.stream().max((a, b) -> Double.compare(Double.parseDouble(a.replace('_', '.')),
                Double.parseDouble(b.replace('_', '.')))).orElse(null);
        List<Row> lastOrigins = joined.groupBy("series_id", "origin_ts").count()
                .filter(col("count").equalTo(horizon)).groupBy("series_id").agg(max("origin_ts").as("o"))
                .orderBy("series_id").limit(cfg.reportSeries()).collectAsList();
        for (Row lo : lastOrigins) {
            String sid = lo.getString(0);
            Timestamp origin = lo.getTimestamp(1);
            List<Row> rows = joined.filter(col("series_id").equalTo(sid).and(col("origin_ts").equalTo(origin)))
                    .orderBy("step").collectAsList();
            int h = rows.size();
            long[] ts = new long[h];
            double[] f = new double[h], lower = new double[h], upper = new double[h], actual = new double[h];
            long step = 0;
            for (int i = 0; i < h; i++) {
                Row r = rows.get(i);
                f[i] = ((Number) r.getAs("forecast")).doubleValue();
                actual[i] = r.getAs("actual");
                lower[i] = widest == null ? Double.NaN : ((Number) r.getAs("lower_" + widest)).doubleValue();
                upper[i] = widest == null ? Double.NaN : ((Number) r.getAs("upper_" + widest)).doubleValue();
                ts[i] = i; // filled below from the segment's steps
            }
            List<Scoring.SeriesSegment> mine = segs.filter(s -> s.seriesId().equals(sid)).collect();
            for (Scoring.SeriesSegment s : mine) {
                int t = Arrays.binarySearch(s.ts(), origin.getTime());
                if (t < 0) {
                    continue;
                }
                int from = Math.max(0, t - 3 * Math.max(h, 8) + 1);
                long[] hts = Arrays.copyOfRange(s.ts(), from, t + 1);
                double[] hv = Arrays.copyOfRange(s.values()[0], from, t + 1);
                for (int i = 0; i < h; i++) {
                    ts[i] = s.ts()[t + ((Number) rows.get(i).getAs("step")).intValue()];
                }
                charts.add(new ChartData.Forecast(sid, hts, hv, ts, f, lower, upper, widest, actual));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- anomalies

    /** One series' scored rows, in time order. */
    record SeriesRows(String series, long[] ts, double[] value, double[] score, boolean[] flagged,
                      double[] baselineScore, double[] noveltyScore) implements Serializable {
    }

    /** The detectors in the anomaly table. */
    enum Detector { MODEL, SEASONAL_RESIDUAL, NOVELTY }

    private static Map<String, Map<String, Object>> anomalies(SparkSession spark, JavaSparkContext jsc,
                                                              EvaluateConfig cfg, JavaRDD<Scoring.SeriesSegment> segs,
                                                              Broadcast<Normalizer> norm, Labels labels,
                                                              RunReport report, Map<String, Object> metrics,
                                                              List<ChartData.Anomalies> charts) {
        Storage storage = new Storage(jsc.hadoopConfiguration());
        report.stage("anomaly-metrics");
        Dataset<Row> an = readTable(spark, storage, cfg.anomalies());
        requireColumns(an, "evaluate.anomalies", cfg.anomalies(), "series_id", "timestamp", "value", "anomaly_score",
                "is_anomaly");
        int season = cfg.season();
        // the first row detect scored per series: the novelty baseline's probation ends before it
        Map<String, Long> firstScored = new HashMap<>();
        for (Row r : an.groupBy("series_id").agg(min(col("timestamp").cast("timestamp"))).collectAsList()) {
            if (!r.isNullAt(1)) {
                firstScored.put(r.getString(0), r.getTimestamp(1).getTime());
            }
        }
        Broadcast<Map<String, Long>> firstB = jsc.broadcast(firstScored);
        // the baseline detectors, per series: seasonal-naive residuals fitted on the validation range (else
        // training); the streaming novelty detector fitted on the training rows before the first scored row
        JavaPairRDD<String, Iterable<Scoring.SeriesSegment>> bySeries = segs.groupBy(Scoring.SeriesSegment::seriesId);
        JavaRDD<Row> baseline = bySeries.flatMap(g -> {
            List<Scoring.SeriesSegment> list = new ArrayList<>();
            g._2().forEach(list::add);
            list.sort((a, b) -> Long.compare(a.ts()[0], b.ts()[0]));
            List<Row> out = new ArrayList<>();
            Long first = firstB.value().get(g._1());
            if (first == null) {
                return out.iterator();
            }
            List<double[]> ys = new ArrayList<>();
            List<boolean[]> val = new ArrayList<>();
            List<boolean[]> train = new ArrayList<>();
            for (Scoring.SeriesSegment s : list) {
                ys.add(normalized(s, norm.value()));
                val.add(isSplit(s, "validation"));
                train.add(isSplit(s, "train"));
            }
            SeasonalResidualDetector d = SeasonalResidualDetector.fit(season, ys, val);
            if (d == null) {
                d = SeasonalResidualDetector.fit(season, ys, train);
            }
            NoveltySeries nv = noveltySeries(list, first, season);
            int offset = 0;
            for (int k = 0; k < list.size(); k++) {
                long[] ts = list.get(k).ts();
                double[] sc = d == null ? null : d.scores(ys.get(k));
                for (int t = 0; t < ts.length; t++) {
                    double b = sc == null ? Double.NaN : sc[t];
                    double nov = nv.scores()[offset + t];
                    if (ts[t] >= first && (!Double.isNaN(b) || !Double.isNaN(nov))) {
                        out.add(RowFactory.create(g._1(), new Timestamp(ts[t]), Double.isNaN(b) ? null : b,
                                Double.isNaN(nov) ? null : nov));
                    }
                }
                offset += ts.length;
            }
            return out.iterator();
        });
        Dataset<Row> baseDf = spark.createDataFrame(baseline, DataTypes.createStructType(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("timestamp", DataTypes.TimestampType, false),
                DataTypes.createStructField("baseline_score", DataTypes.DoubleType, true),
                DataTypes.createStructField("novelty_score", DataTypes.DoubleType, true))));
        List<SeriesRows> series = an.select(col("series_id"), col("timestamp").cast("timestamp"),
                        col("value").cast("double"), col("anomaly_score").cast("double"),
                        col("is_anomaly").cast("boolean"))
                .join(baseDf, scala.collection.JavaConverters.asScalaBuffer(List.of("series_id", "timestamp")).toSeq(),
                        "left")
                .repartition(jsc.defaultParallelism(), col("series_id"))
                .sortWithinPartitions("series_id", "timestamp")
                .javaRDD().mapPartitions(EvaluateJob::seriesRows).collect();
        long rows = series.stream().mapToLong(s -> s.ts().length).sum();
        if (rows == 0) {
            throw new ConfigException("evaluate.anomalies", cfg.anomalies() + " holds no rows");
        }
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("anomalies", cfg.anomalies());
        counts.put("rows", rows);
        counts.put("series", series.size());
        counts.put("rows_unscored", series.stream().mapToLong(s -> Arrays.stream(s.score()).filter(Double::isNaN)
                .count()).sum());
        counts.put("threshold", cfg.threshold());
        counts.put("labels", cfg.labels());
        counts.put("novelty_rows_unscored", series.stream().mapToLong(s -> Arrays.stream(s.noveltyScore())
                .filter(Double::isNaN).count()).sum());
        counts.put("novelty_probation", "the series' training rows before its first scored row; online after; "
                + "quiet for " + season + " rows after an alarm; flags at its alarm level "
                + StreamingNoveltyDetector.Settings.defaults().fireLevel());
        metrics.put("anomaly_rows", counts);
        report.count("anomaly_rows", rows);
        if (labels == null) {
            report.log("no evaluate.labels: anomaly rows are charted but not scored");
            for (SeriesRows s : series.subList(0, Math.min(cfg.reportSeries(), series.size()))) {
                charts.add(new ChartData.Anomalies(s.series(), s.ts(), s.value(), s.score(), s.flagged(), List.of(),
                        cfg.threshold()));
            }
            return null;
        }
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        out.put(MODEL, detectorMetrics(series, labels, Detector.MODEL, cfg.threshold()));
        out.put(BASELINE_DETECTOR, detectorMetrics(series, labels, Detector.SEASONAL_RESIDUAL, cfg.threshold()));
        out.put(NOVELTY_DETECTOR, detectorMetrics(series, labels, Detector.NOVELTY, cfg.threshold()));
        Map<String, Object> perSeries = new TreeMap<>();
        for (SeriesRows s : series) {
            perSeries.put(s.series(), DetectionCounts.ofSeries(s.ts(), s.flagged(), labels.windows(s.series()))
                    .toMap());
        }
        metrics.put("anomaly_per_series", perSeries);
        Map<String, Object> m = out.get(MODEL);
        report.count("anomaly_f1", m.get("f1"));
        report.count("anomaly_pa_f1", m.get("pa_f1"));
        report.count("nab_standard", m.get("nab_standard"));
        report.log(String.format(Locale.ROOT, "anomalies: F1 %.3f (point-adjusted %.3f), windows detected %s of %s; "
                        + "NAB standard %.1f (seasonal-residual detector %.1f, streaming novelty detector %.1f)",
                (double) m.get("f1"), (double) m.get("pa_f1"), m.get("windows_detected"), m.get("windows"),
                (double) m.get("nab_standard"), (double) out.get(BASELINE_DETECTOR).get("nab_standard"),
                (double) out.get(NOVELTY_DETECTOR).get("nab_standard")));
        // chart the labelled series first
        List<SeriesRows> order = new ArrayList<>(series);
        order.sort((a, b) -> Boolean.compare(labels.windows(b.series()).isEmpty() == false,
                labels.windows(a.series()).isEmpty() == false));
        for (SeriesRows s : order.subList(0, Math.min(cfg.reportSeries(), order.size()))) {
            charts.add(new ChartData.Anomalies(s.series(), s.ts(), s.value(), s.score(), s.flagged(),
                    labels.windows(s.series()), cfg.threshold()));
        }
        return out;
    }

    /** The novelty baseline's scores over a series' segments (in time order), concatenated. */
    record NoveltySeries(int probation, double[] scores) {
    }

    static NoveltySeries noveltySeries(List<Scoring.SeriesSegment> segments, long firstScored, int suppressRows) {
        int n = segments.stream().mapToInt(x -> x.ts().length).sum();
        long[] ts = new long[n];
        double[] y = new double[n];
        boolean[] train = new boolean[n];
        int i = 0;
        for (Scoring.SeriesSegment s : segments) {
            for (int t = 0; t < s.ts().length; t++, i++) {
                ts[i] = s.ts()[t];
                y[i] = s.values()[0][t];
                train[i] = "train".equals(s.split()[t]);
            }
        }
        NoveltyBaseline.Result r = NoveltyBaseline.score(ts, y, train, firstScored, suppressRows);
        return new NoveltySeries(r.probation(), r.scores());
    }

    static Iterator<SeriesRows> seriesRows(Iterator<Row> it) {
        List<SeriesRows> out = new ArrayList<>();
        String cur = null;
        List<Row> buf = new ArrayList<>();
        while (true) {
            Row r = it.hasNext() ? it.next() : null;
            if (cur != null && (r == null || !cur.equals(r.getString(0)))) {
                int n = buf.size();
                long[] ts = new long[n];
                double[] v = new double[n], s = new double[n], b = new double[n], nv = new double[n];
                boolean[] f = new boolean[n];
                for (int i = 0; i < n; i++) {
                    Row x = buf.get(i);
                    ts[i] = x.getTimestamp(1).getTime();
                    v[i] = x.isNullAt(2) ? Double.NaN : x.getDouble(2);
                    s[i] = x.isNullAt(3) ? Double.NaN : x.getDouble(3);
                    f[i] = !x.isNullAt(4) && x.getBoolean(4);
                    b[i] = x.isNullAt(5) ? Double.NaN : x.getDouble(5);
                    nv[i] = x.isNullAt(6) ? Double.NaN : x.getDouble(6);
                }
                out.add(new SeriesRows(cur, ts, v, s, f, b, nv));
                buf.clear();
            }
            if (r == null) {
                break;
            }
            cur = r.getString(0);
            buf.add(r);
        }
        return out.iterator();
    }

    /**
     * Plain and point-adjusted counts at the detector's flags, and the three NAB scores of its raw scores. Flags: the
     * model's {@code is_anomaly}; the seasonal-residual detector at {@code threshold} (its scores are on the model's
     * scale); the novelty detector at its own alarm level.
     */
    static Map<String, Object> detectorMetrics(List<SeriesRows> series, Labels labels, Detector which,
                                               double threshold) {
        DetectionCounts all = new DetectionCounts();
        List<NabScorer.File> files = new ArrayList<>();
        double fire = StreamingNoveltyDetector.Settings.defaults().fireLevel();
        for (SeriesRows s : series) {
            double[] score = switch (which) {
                case MODEL -> s.score();
                case SEASONAL_RESIDUAL -> s.baselineScore();
                case NOVELTY -> s.noveltyScore();
            };
            boolean[] flags = which == Detector.MODEL ? s.flagged() : new boolean[score.length];
            if (which != Detector.MODEL) {
                double level = which == Detector.NOVELTY ? fire : threshold;
                for (int i = 0; i < score.length; i++) {
                    flags[i] = score[i] >= level;
                }
            }
            all.merge(DetectionCounts.ofSeries(s.ts(), flags, labels.windows(s.series())));
            files.add(new NabScorer.File(s.series(), s.ts(), score, labels.windows(s.series())));
        }
        Map<String, Object> m = new LinkedHashMap<>(all.toMap());
        // the rows written by detect are already past the training range: no probation here
        NabScorer nab = new NabScorer(0, 0);
        for (NabScorer.Profile p : NabScorer.PROFILES) {
            NabScorer.Result r = nab.optimise(files, p);
            m.put("nab_" + shortName(p), r.normalized());
            m.put("nab_" + shortName(p) + "_threshold", r.threshold());
        }
        return m;
    }

    public static String shortName(NabScorer.Profile p) {
        return switch (p.name()) {
            case "reward_low_FP_rate" -> "low_fp";
            case "reward_low_FN_rate" -> "low_fn";
            default -> p.name();
        };
    }

    // ----------------------------------------------------------------------------------------------------- loss

    private static ChartData.Loss loss(Storage storage, EvaluateConfig cfg, RunReport report) {
        try {
            String dir = ModelBundle.resolve(storage, cfg.registry(), cfg.modelName(), cfg.modelVersion());
            String path = dir + "/" + ModelBundle.METRICS;
            if (!storage.exists(path)) {
                report.log("no " + path + ": the report has no loss chart");
                return null;
            }
            JsonNode m = storage.readJson(path);
            JsonNode epochs = m.path("epochs");
            int n = epochs.size();
            int[] e = new int[n];
            double[] train = new double[n], val = new double[n];
            for (int i = 0; i < n; i++) {
                e[i] = epochs.get(i).path("epoch").asInt();
                train[i] = epochs.get(i).path("trainLoss").asDouble(Double.NaN);
                val[i] = epochs.get(i).path("validationLoss").asDouble(Double.NaN);
            }
            double[] lambdas = null;
            if ("ridge".equals(m.path("solver").asText())) {
                lambdas = new double[n];
                for (int i = 0; i < n; i++) {
                    lambdas[i] = epochs.get(i).path("lambda").asDouble(Double.NaN);
                }
            }
            return new ChartData.Loss(dir, e, train, val, m.path("bestEpoch").asInt(), lambdas);
        } catch (RuntimeException e) {
            report.log("no model bundle for the loss chart (" + Main.oneLine(e) + ")");
            return null;
        }
    }
}
