package io.tsforge.spark;

import io.tsforge.config.ConfigKeys;
import io.tsforge.config.ScoringConfig;
import io.tsforge.core.AnomalyScoring;
import io.tsforge.core.EventMerger;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.ResidualCalibration;
import io.tsforge.model.Tensors;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

/**
 * Batch scoring a partition at a time: the model travels as one broadcast {@link Model} (network bytes, normalizer,
 * calibration), each partition builds the network once and scores its windows in batches, and every output row keeps
 * its series and timestamp. Input is prepare's {@code series/} (raw values); normalization uses the bundle's own
 * statistics, so new data is scaled exactly as training data was.
 */
public final class Scoring {

    /** Rows scored per network call. */
    static final int BATCH = 256;

    private Scoring() {
    }

    /** Everything executors need from a bundle. */
    public record Model(byte[] network, Normalizer normalizer, ResidualCalibration calibration, int lookback,
                        int horizon, boolean perStepHead, String version, long stepMillis) implements Serializable {
    }

    /** One gap-free segment of a series in raw units: {@code values[feature][step]}. */
    public record SeriesSegment(String seriesId, int segment, long[] ts, boolean[] filled, String[] split,
                                double[][] values) implements Serializable {
        int length() {
            return ts.length;
        }
    }

    /** Segments of prepare's {@code series/}, partitioned by series and ordered by series, segment. */
    public static JavaRDD<SeriesSegment> segments(SparkSession spark, String preparedDir, List<String> features,
                                                  int partitions) {
        List<org.apache.spark.sql.Column> fields = new ArrayList<>(List.of(col("step"), col("timestamp"),
                col("filled"), col("split")));
        for (String f : features) {
            fields.add(col("`" + f + "`"));
        }
        Dataset<Row> rows = PreparedLayout.readSeries(spark, preparedDir)
                .groupBy(col("series_id"), col("segment"))
                .agg(sort_array(collect_list(struct(fields.toArray(new org.apache.spark.sql.Column[0])))).as("s"))
                .repartition(partitions, col("series_id"))
                .sortWithinPartitions(col("series_id"), col("segment"));
        int nf = features.size();
        return rows.javaRDD().map(r -> {
            List<Row> s = r.getList(2);
            int n = s.size();
            long[] ts = new long[n];
            boolean[] filled = new boolean[n];
            String[] split = new String[n];
            double[][] v = new double[nf][n];
            for (int i = 0; i < n; i++) {
                Row x = s.get(i);
                ts[i] = x.getTimestamp(1).getTime();
                filled[i] = x.getBoolean(2);
                split[i] = x.getString(3);
                for (int f = 0; f < nf; f++) {
                    v[f][i] = x.getDouble(4 + f);
                }
            }
            return new SeriesSegment(r.getString(0), r.getInt(1), ts, filled, split, v);
        });
    }

    static MultiLayerNetwork network(Model m) {
        try {
            return ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(m.network()), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The segment normalized with the bundle's scale for its series, as floats for the network. */
    static float[][] normalized(SeriesSegment s, Normalization.Scale scale) {
        float[][] out = new float[s.values().length][s.length()];
        for (int f = 0; f < out.length; f++) {
            for (int t = 0; t < s.length(); t++) {
                out[f][t] = (float) scale.apply(f, s.values()[f][t]);
            }
        }
        return out;
    }

    /** A pending network call: windows and what to do with each forecast row. */
    private static final class Batch {
        final List<Tensors.Window> windows = new ArrayList<>();
        final List<Runnable> pending = new ArrayList<>();
        float[][] forecasts;
    }

    private static void run(MultiLayerNetwork net, Model m, Batch b) {
        if (b.windows.isEmpty()) {
            return;
        }
        float[] f = Tensors.forecast(net, Tensors.inputs(b.windows, m.lookback(), m.perStepHead()), m.perStepHead()).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data().asFloat();
        b.forecasts = new float[b.windows.size()][m.horizon()];
        for (int i = 0; i < b.windows.size(); i++) {
            System.arraycopy(f, i * m.horizon(), b.forecasts[i], 0, m.horizon());
        }
        b.pending.forEach(Runnable::run);
        b.windows.clear();
        b.pending.clear();
    }

    // ---------------------------------------------------------------------------------------------------- forecast

    public static StructType forecastSchema(List<Double> intervals) {
        List<StructField> f = new ArrayList<>(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("origin_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("target_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("step", DataTypes.IntegerType, false),
                DataTypes.createStructField("forecast", DataTypes.DoubleType, false)));
        for (double p : intervals) {
            f.add(DataTypes.createStructField("lower_" + ScoringConfig.suffix(p), DataTypes.DoubleType, false));
            f.add(DataTypes.createStructField("upper_" + ScoringConfig.suffix(p), DataTypes.DoubleType, false));
        }
        f.add(DataTypes.createStructField("model_version", DataTypes.StringType, false));
        return DataTypes.createStructType(f);
    }

    /**
     * Forecast rows for the segments of a partition (segments of one series arrive together, in order). Origins:
     * backtest range, else the last step at or before {@code forecast.origin}, else the series' last step; an origin
     * needs a full lookback of history in its segment. Series skipped are counted by reason in {@code skipped}.
     */
    public static Iterator<Row> forecast(Iterator<SeriesSegment> it, Model m, ScoringConfig cfg) {
        List<SeriesSegment> all = new ArrayList<>();
        it.forEachRemaining(all::add);
        List<Row> out = new ArrayList<>();
        if (all.isEmpty()) {
            return out.iterator();
        }
        MultiLayerNetwork net = network(m);
        Batch b = new Batch();
        int i = 0;
        while (i < all.size()) {
            String sid = all.get(i).seriesId();
            List<SeriesSegment> series = new ArrayList<>();
            while (i < all.size() && all.get(i).seriesId().equals(sid)) {
                series.add(all.get(i++));
            }
            if (!m.normalizer().hasOwnScale(sid) && cfg.unseenSeries() == ConfigKeys.UnseenSeries.SKIP) {
                continue;
            }
            Normalization.Scale scale = m.normalizer().scaleFor(sid);
            for (int[] o : origins(series, m, cfg)) {
                SeriesSegment s = series.get(o[0]);
                int origin = o[1];
                b.windows.add(new Tensors.Window(normalized(s, scale), origin, m.lookback()));
                int row = b.windows.size() - 1;
                b.pending.add(() -> emitForecast(out, b.forecasts[row], s, origin, scale, m, cfg));
                if (b.windows.size() >= BATCH) {
                    run(net, m, b);
                }
            }
        }
        run(net, m, b);
        return out.iterator();
    }

    /** (segment index, origin step) pairs of one series. */
    static List<int[]> origins(List<SeriesSegment> series, Model m, ScoringConfig cfg) {
        List<int[]> o = new ArrayList<>();
        if (cfg.backtest()) {
            for (int s = 0; s < series.size(); s++) {
                SeriesSegment seg = series.get(s);
                for (int t = m.lookback() - 1; t < seg.length(); t++) {
                    long ts = seg.ts()[t];
                    if (ts >= cfg.backtestFrom() && ts <= cfg.backtestTo()
                            && ((ts - cfg.backtestFrom()) / m.stepMillis()) % cfg.backtestStride() == 0) {
                        o.add(new int[]{s, t});
                    }
                }
            }
            return o;
        }
        for (int s = series.size() - 1; s >= 0; s--) {
            SeriesSegment seg = series.get(s);
            for (int t = seg.length() - 1; t >= 0; t--) {
                if (cfg.origin() == null || seg.ts()[t] <= cfg.origin()) {
                    if (t >= m.lookback() - 1) {
                        o.add(new int[]{s, t});
                    }
                    return o;
                }
            }
        }
        return o;
    }

    private static void emitForecast(List<Row> out, float[] f, SeriesSegment s, int origin,
                                     Normalization.Scale scale, Model m, ScoringConfig cfg) {
        long originTs = s.ts()[origin];
        for (int k = 0; k < m.horizon(); k++) {
            ResidualCalibration.Step step = m.calibration().step(s.seriesId(), k);
            Object[] r = new Object[6 + 2 * cfg.intervals().size()];
            r[0] = s.seriesId();
            r[1] = new Timestamp(originTs);
            r[2] = new Timestamp(originTs + (k + 1) * m.stepMillis());
            r[3] = k + 1;
            r[4] = scale.invert(0, f[k]);
            int c = 5;
            for (double p : cfg.intervals()) {
                double[] iv = AnomalyScoring.interval(step, p);
                r[c++] = scale.invert(0, f[k] + iv[0]);
                r[c++] = scale.invert(0, f[k] + iv[1]);
            }
            r[c] = m.version();
            out.add(RowFactory.create(r));
        }
    }

    // ------------------------------------------------------------------------------------------------------ detect

    public static final String REASON_FILLED = "filled_gap";
    public static final String REASON_HISTORY = "insufficient_history";
    public static final String REASON_UNSEEN = "unseen_series";

    public static StructType anomalySchema() {
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("timestamp", DataTypes.TimestampType, false),
                DataTypes.createStructField("value", DataTypes.DoubleType, false),
                DataTypes.createStructField("expected", DataTypes.DoubleType, true),
                DataTypes.createStructField("residual", DataTypes.DoubleType, true),
                DataTypes.createStructField("anomaly_score", DataTypes.DoubleType, true),
                DataTypes.createStructField("is_anomaly", DataTypes.BooleanType, true),
                DataTypes.createStructField("reason", DataTypes.StringType, true),
                DataTypes.createStructField("model_version", DataTypes.StringType, false)));
    }

    public static StructType eventSchema() {
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("start_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("end_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("peak_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("peak_score", DataTypes.DoubleType, false),
                DataTypes.createStructField("rows", DataTypes.IntegerType, false)));
    }

    /** Whether a row is in the detection range: configured bounds, else every step after the training range. */
    static boolean inRange(SeriesSegment s, int t, ScoringConfig cfg) {
        long ts = s.ts()[t];
        if (cfg.detectFrom() == null && "train".equals(s.split()[t])) {
            return false;
        }
        return (cfg.detectFrom() == null || ts >= cfg.detectFrom()) && (cfg.detectTo() == null || ts <= cfg.detectTo());
    }

    /**
     * One row per step in range: the one-step-ahead forecast from the preceding window, the residual, its anomaly
     * score against the bundle's validation residuals, the flag; or null scores with a reason. In series order.
     */
    public static Iterator<Row> detect(Iterator<SeriesSegment> it, Model m, ScoringConfig cfg) {
        List<Row> out = new ArrayList<>();
        MultiLayerNetwork net = null;
        Batch b = new Batch();
        while (it.hasNext()) {
            SeriesSegment s = it.next();
            boolean unseen = !m.normalizer().hasOwnScale(s.seriesId());
            Normalization.Scale scale = m.normalizer().scaleFor(s.seriesId());
            float[][] norm = null;
            ResidualCalibration.Step step0 = m.calibration().step(s.seriesId(), 0);
            for (int t = 0; t < s.length(); t++) {
                if (!inRange(s, t, cfg)) {
                    continue;
                }
                String reason = unseen && cfg.unseenSeries() == ConfigKeys.UnseenSeries.SKIP ? REASON_UNSEEN
                        : s.filled()[t] ? REASON_FILLED : t < m.lookback() ? REASON_HISTORY : null;
                int index = out.size();
                out.add(null);
                if (reason != null) {
                    out.set(index, RowFactory.create(s.seriesId(), new Timestamp(s.ts()[t]), s.values()[0][t], null,
                            null, null, null, reason, m.version()));
                    continue;
                }
                if (net == null) {
                    net = network(m);
                }
                if (norm == null) {
                    norm = normalized(s, scale);
                }
                b.windows.add(new Tensors.Window(norm, t - 1, m.lookback()));
                int row = b.windows.size() - 1;
                int tt = t;
                float[][] nn = norm;
                b.pending.add(() -> {
                    double expectedNorm = b.forecasts[row][0];
                    double residualNorm = nn[0][tt] - expectedNorm;
                    double score = AnomalyScoring.score(residualNorm, step0);
                    double expected = scale.invert(0, expectedNorm);
                    out.set(index, RowFactory.create(s.seriesId(), new Timestamp(s.ts()[tt]), s.values()[0][tt],
                            expected, s.values()[0][tt] - expected, score, score >= cfg.threshold(), null,
                            m.version()));
                });
                if (b.windows.size() >= BATCH) {
                    run(net, m, b);
                }
            }
        }
        if (net != null) {
            run(net, m, b);
        }
        return out.iterator();
    }

    /** Events from a partition of anomaly rows in series and time order (as {@link #detect} emits them). */
    public static Iterator<Row> events(Iterator<Row> rows, long stepMillis) {
        List<Row> out = new ArrayList<>();
        EventMerger merger = null;
        String current = null;
        while (rows.hasNext()) {
            Row r = rows.next();
            String sid = r.getString(0);
            if (!sid.equals(current)) {
                flush(merger, out);
                merger = new EventMerger(sid, stepMillis);
                current = sid;
            }
            boolean flagged = !r.isNullAt(6) && r.getBoolean(6);
            merger.add(r.getTimestamp(1).getTime(), flagged ? r.getDouble(5) : 0.0, flagged);
        }
        flush(merger, out);
        return out.iterator();
    }

    private static void flush(EventMerger merger, List<Row> out) {
        if (merger == null) {
            return;
        }
        for (EventMerger.Event e : merger.finish()) {
            out.add(RowFactory.create(e.seriesId(), new Timestamp(e.startTs()), new Timestamp(e.endTs()),
                    new Timestamp(e.peakTs()), e.peakScore(), e.rows()));
        }
    }
}
