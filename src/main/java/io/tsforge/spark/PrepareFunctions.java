package io.tsforge.spark;

import io.tsforge.config.InputSpec;
import io.tsforge.core.AssembledSeries;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.RawRowParser;
import io.tsforge.core.ResampleSpec;
import io.tsforge.core.Segment;
import io.tsforge.core.SeriesAssembler;
import io.tsforge.core.SplitLabel;
import io.tsforge.core.StatsAccumulator;
import io.tsforge.core.TimeSplit;
import io.tsforge.core.WindowSpec;
import io.tsforge.core.Windower;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** The per-partition functions of {@code prepare}: thin loops around the core, one object per partition. */
public final class PrepareFunctions {

    private PrepareFunctions() {
    }

    /** A rejected raw row with its reason: {@code _id, _ts, _v*, _file, _ord, ts, values, reason, detail}. */
    public static StructType parsedSchema(int values) {
        List<StructField> f = new ArrayList<>(List.of(RawInput.schema(values).fields()));
        f.removeIf(x -> x.name().equals("_malformed"));
        f.add(DataTypes.createStructField("ts", DataTypes.LongType, true));
        f.add(DataTypes.createStructField("values", DataTypes.createArrayType(DataTypes.DoubleType, false), true));
        f.add(DataTypes.createStructField("reason", DataTypes.StringType, true));
        f.add(DataTypes.createStructField("detail", DataTypes.StringType, true));
        return DataTypes.createStructType(f);
    }

    /** A valid reading, only what assembling needs: {@code _id, ts, _x0.._xN (parsed values), _file, _ord}. */
    public static StructType validSchema(int values) {
        List<StructField> f = new ArrayList<>();
        f.add(DataTypes.createStructField("_id", DataTypes.StringType, true));
        f.add(DataTypes.createStructField("ts", DataTypes.LongType, false));
        for (int i = 0; i < values; i++) {
            f.add(DataTypes.createStructField("_x" + i, DataTypes.DoubleType, false));
        }
        f.add(DataTypes.createStructField("_file", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("_ord", DataTypes.LongType, false));
        return DataTypes.createStructType(f);
    }

    /**
     * Parses raw rows (schema of {@link RawInput#read}) and keeps one side of the outcome: the rejected rows as
     * {@link #parsedSchema} rows, or the valid ones as slim {@link #validSchema} rows (the raw texts of the valid rows
     * are not carried into the shuffle). {@code skipped}, when given, counts the rows of the other side.
     */
    public static Iterator<Row> parse(Iterator<Row> rows, InputSpec in, boolean rejected,
                                      LongAccumulator skipped) {
        RawRowParser parser = in.rowParser();
        RawRowParser.Result r = parser.newResult();
        int nv = in.valueColumns().size();
        String[] texts = new String[nv];
        boolean requireId = !in.wide();
        return new Iterator<>() {
            Row next = advance();

            private Row advance() {
                while (rows.hasNext()) {
                    Row row = rows.next();
                    for (int i = 0; i < nv; i++) {
                        texts[i] = row.getString(2 + i);
                    }
                    String id = row.getString(0);
                    String ts = row.getString(1);
                    parser.parse(requireId, id, ts, texts, row.getBoolean(2 + nv), r);
                    if (r.ok() == rejected) {
                        if (skipped != null) {
                            skipped.add(1);
                        }
                        continue;
                    }
                    if (rejected) {
                        Object[] out = new Object[2 + nv + 2 + 4];
                        out[0] = id;
                        out[1] = ts;
                        System.arraycopy(texts, 0, out, 2, nv);
                        out[2 + nv] = row.getString(3 + nv);
                        out[3 + nv] = row.getLong(4 + nv);
                        out[6 + nv] = r.reason;
                        out[7 + nv] = r.detail;
                        return RowFactory.create(out);
                    }
                    Object[] out = new Object[2 + nv + 2];
                    out[0] = id;
                    out[1] = r.timestamp;
                    for (int i = 0; i < nv; i++) {
                        out[2 + i] = r.values[i];
                    }
                    out[2 + nv] = row.getString(3 + nv);
                    out[3 + nv] = row.getLong(4 + nv);
                    return RowFactory.create(out);
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Row next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                Row out = next;
                next = advance();
                return out;
            }
        };
    }

    /**
     * Assembles series from valid rows ({@link #validSchema}) sorted by series, time and input order, and assigns
     * each step its split. One series is in memory at a time.
     */
    public static Iterator<AssembledSeries> assemble(Iterator<Row> rows, ResampleSpec spec, TimeSplit split,
                                                     int features) {
        return new Iterator<>() {
            Row pending = rows.hasNext() ? rows.next() : null;
            final double[] buf = new double[features];

            @Override
            public boolean hasNext() {
                return pending != null;
            }

            @Override
            public AssembledSeries next() {
                if (pending == null) {
                    throw new NoSuchElementException();
                }
                String sid = pending.getString(0);
                SeriesAssembler a = new SeriesAssembler(sid, spec, features);
                while (pending != null && pending.getString(0).equals(sid)) {
                    for (int f = 0; f < features; f++) {
                        buf[f] = pending.getDouble(2 + f);
                    }
                    a.add(pending.getLong(1), buf);
                    pending = rows.hasNext() ? rows.next() : null;
                }
                AssembledSeries s = a.finish();
                split.assign(s.segments());
                return s;
            }
        };
    }

    /** Statistics of the training steps of each segment, keyed by series; merged by key afterwards. */
    public static Iterator<Tuple2<String, StatsAccumulator>> trainStats(AssembledSeries s, Normalization method) {
        List<Tuple2<String, StatsAccumulator>> out = new ArrayList<>();
        for (Segment seg : s.segments()) {
            StatsAccumulator acc = new StatsAccumulator(seg.features(), method.needsValues());
            double[] x = new double[seg.features()];
            for (int t = 0; t < seg.length(); t++) {
                if (seg.split[t] == SplitLabel.TRAIN.code()) {
                    for (int f = 0; f < x.length; f++) {
                        x[f] = seg.values[f][t];
                    }
                    acc.add(x);
                }
            }
            if (acc.count() > 0) {
                out.add(new Tuple2<>(s.seriesId(), acc));
            }
        }
        return out.iterator();
    }

    public static Iterator<Row> seriesRows(AssembledSeries s, Normalizer normalizer) {
        Normalization.Scale scale = normalizer.scaleFor(s.seriesId());
        List<Row> out = new ArrayList<>(s.totalSteps());
        for (Segment seg : s.segments()) {
            int nf = seg.features();
            for (int t = 0; t < seg.length(); t++) {
                Object[] r = new Object[7 + 2 * nf];
                r[0] = s.seriesId();
                r[1] = new Timestamp(seg.timestamp(t));
                r[2] = seg.index;
                r[3] = t;
                r[4] = SplitLabel.of(seg.split[t]).label;
                r[5] = seg.filled[t];
                r[6] = seg.rawRows[t];
                for (int f = 0; f < nf; f++) {
                    r[7 + f] = seg.values[f][t];
                    r[7 + nf + f] = scale.apply(f, seg.values[f][t]);
                }
                out.add(RowFactory.create(r));
            }
        }
        return out.iterator();
    }

    public static Iterator<Row> segmentRows(AssembledSeries s, Normalizer normalizer) {
        Normalization.Scale scale = normalizer.scaleFor(s.seriesId());
        List<Row> out = new ArrayList<>();
        for (Segment seg : s.segments()) {
            float[][] values = new float[seg.features()][seg.length()];
            for (int f = 0; f < seg.features(); f++) {
                for (int t = 0; t < seg.length(); t++) {
                    values[f][t] = (float) scale.apply(f, seg.values[f][t]);
                }
            }
            out.add(RowFactory.create(s.seriesId(), seg.index, new Timestamp(seg.startTs), seg.stepMillis,
                    seg.length(), values, seg.split));
        }
        return out.iterator();
    }

    public static Iterator<Row> windowRows(AssembledSeries s, WindowSpec spec) {
        List<Row> out = new ArrayList<>();
        Windower w = new Windower(spec);
        for (Segment seg : s.segments()) {
            w.cut(seg, (sg, origin, history, split) -> out.add(RowFactory.create(s.seriesId(), sg.index, origin,
                    new Timestamp(sg.timestamp(origin)), history, split.label)));
        }
        return out.iterator();
    }

    /** Counts for one series: the job adds them up on the driver to balance rows and windows. */
    public static SeriesCounts counts(AssembledSeries s, WindowSpec spec, Normalizer normalizer) {
        SeriesCounts c = new SeriesCounts();
        c.series = 1;
        c.segments = s.segments().size();
        c.rowsUsed = s.rowsUsed();
        c.rowsDuplicate = s.rowsDuplicate();
        c.steps = s.totalSteps();
        c.stepsFilled = s.stepsFilled();
        c.stepsIncomplete = s.stepsIncomplete();
        c.gapsFilled = s.gapsFilled();
        c.gapsSplit = s.gapsSplit();
        c.seriesOnGlobalStats = normalizer.hasOwnScale(s.seriesId()) ? 0 : 1;
        Windower w = new Windower(spec);
        for (Segment seg : s.segments()) {
            w.cut(seg, (sg, o, h, sp) -> { }, c.windows);
        }
        c.seriesWithoutWindows = c.windows.windows() == 0 ? 1 : 0;
        return c;
    }

    /** Additive per-series counts. */
    public static final class SeriesCounts implements java.io.Serializable {
        public long series;
        public long segments;
        public long rowsUsed;
        public long rowsDuplicate;
        public long steps;
        public long stepsFilled;
        public long stepsIncomplete;
        public long gapsFilled;
        public long gapsSplit;
        public long seriesOnGlobalStats;
        public long seriesWithoutWindows;
        public final Windower.Counts windows = new Windower.Counts();

        public SeriesCounts add(SeriesCounts o) {
            series += o.series;
            segments += o.segments;
            rowsUsed += o.rowsUsed;
            rowsDuplicate += o.rowsDuplicate;
            steps += o.steps;
            stepsFilled += o.stepsFilled;
            stepsIncomplete += o.stepsIncomplete;
            gapsFilled += o.gapsFilled;
            gapsSplit += o.gapsSplit;
            seriesOnGlobalStats += o.seriesOnGlobalStats;
            seriesWithoutWindows += o.seriesWithoutWindows;
            windows.add(o.windows);
            return this;
        }
    }
}
