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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeRowWriter;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.unsafe.types.UTF8String;
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

    /**
     * A valid reading, only what assembling needs: {@code _id, ts, _x0.._xN (parsed values), _fileRank, _ord}.
     * {@code _fileRank} is the rank of the row's file name among the input's (see {@link #fileRanks}): sorting by it
     * sorts by the file name, without carrying the name through the shuffle.
     */
    public static StructType validSchema(int values) {
        List<StructField> f = new ArrayList<>();
        f.add(DataTypes.createStructField("_id", DataTypes.StringType, true));
        f.add(DataTypes.createStructField("ts", DataTypes.LongType, false));
        for (int i = 0; i < values; i++) {
            f.add(DataTypes.createStructField("_x" + i, DataTypes.DoubleType, false));
        }
        f.add(DataTypes.createStructField("_fileRank", DataTypes.IntegerType, false));
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
     * The rank of each input file name in the byte order of its UTF-8 text (the order in which Spark sorts the
     * {@code _file} strings), from the names {@code Dataset.inputFiles()} lists: they are the names
     * {@code input_file_name()} gives the rows (both {@code Path.toUri().toString()} of the same listed files).
     */
    public static java.util.Map<String, Integer> fileRanks(String[] files) {
        UTF8String[] sorted = java.util.Arrays.stream(files).distinct().map(UTF8String::fromString)
                .sorted().toArray(UTF8String[]::new);
        java.util.Map<String, Integer> ranks = new java.util.HashMap<>();
        for (int i = 0; i < sorted.length; i++) {
            ranks.put(sorted[i].toString(), i);
        }
        return ranks;
    }

    /**
     * The valid side of {@link #parse} on Spark's internal rows ({@code raw.queryExecution().toRdd()}, schema of
     * {@link RawInput#read}), emitting internal {@link #validSchema} rows: the same parser and the same outcome, without
     * converting every row to an external {@link Row} and back (measured: those conversions cost about as much as
     * the parsing). {@code rejected} counts the rows left out.
     */
    public static Iterator<InternalRow> parseValid(Iterator<InternalRow> rows, InputSpec in, LongAccumulator rejected,
                                                   PartitionCounts rowsIn, java.util.Map<String, Integer> fileRanks) {
        return parseValid(RawCursor.of(rows, in.valueColumns().size()), in, rejected, rowsIn, fileRanks);
    }

    /** {@link #parseValid(Iterator, InputSpec, LongAccumulator, PartitionCounts, java.util.Map)} on any raw cursor. */
    public static Iterator<InternalRow> parseValid(RawCursor c, InputSpec in, LongAccumulator rejected,
                                                   PartitionCounts rowsIn, java.util.Map<String, Integer> fileRanks) {
        int partition = org.apache.spark.TaskContext.getPartitionId();
        RawRowParser parser = in.rowParser();
        RawRowParser.Result r = parser.newResult();
        int nv = in.valueColumns().size();
        boolean requireId = !in.wide();
        return new Iterator<>() {
            long seen;
            UTF8String lastFile;
            UTF8String lastFileRef;
            int lastFileRank;
            final UnsafeRowWriter out = new UnsafeRowWriter(4 + nv);
            // the output row is reused too, so the next row is fetched only once the previous one has been consumed
            InternalRow next;
            boolean fetched;
            boolean done;

            private InternalRow advance() {
                while (c.advance()) {
                    seen++;
                    if (!c.parse(parser, requireId, r)) {
                        rejected.add(1);
                        continue;
                    }
                    UTF8String id = c.idUtf8();
                    UTF8String file = c.file;
                    // a cursor keeps one file name instance while the file does not change
                    if (file != lastFileRef && !file.equals(lastFile)) {
                        Integer rank = fileRanks.get(file.toString());
                        if (rank == null) {
                            throw new IllegalStateException("input file '" + file + "' is not among the "
                                    + fileRanks.size() + " files the input listed " + fileRanks.keySet());
                        }
                        lastFile = file.clone();
                        lastFileRank = rank;
                    }
                    lastFileRef = file;
                    // one reused row, written in place (no boxed fields, no Object[] per row): the plan consumes
                    // each row (projects it into its own buffer) before asking for the next
                    out.reset();
                    out.zeroOutNullBytes();
                    if (id == null) {
                        out.setNullAt(0);
                    } else {
                        out.write(0, id);
                    }
                    out.write(1, r.timestamp);
                    for (int i = 0; i < nv; i++) {
                        out.write(2 + i, r.values[i]);
                    }
                    out.write(2 + nv, lastFileRank);
                    out.write(3 + nv, c.ord);
                    return out.getRow();
                }
                if (!done) {
                    done = true;
                    rowsIn.add(partition, seen);
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                if (!fetched) {
                    next = advance();
                    fetched = true;
                }
                return next != null;
            }

            @Override
            public InternalRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                fetched = false;
                return next;
            }
        };
    }

    /**
     * Assembles series from valid rows ({@link #validSchema}) sorted by series, time and input order, and assigns
     * each step its split. One series is in memory at a time.
     */
    public static Iterator<AssembledSeries> assemble(Iterator<InternalRow> rows, ResampleSpec spec, TimeSplit split,
                                                     int features) {
        return new Iterator<>() {
            // internal rows of a sorted plan are reused buffers: each one is read before the next is fetched
            InternalRow pending = rows.hasNext() ? rows.next() : null;
            final double[] buf = new double[features];
            // one assembler for the partition's series: its buffers grow once
            SeriesAssembler a;

            @Override
            public boolean hasNext() {
                return pending != null;
            }

            @Override
            public AssembledSeries next() {
                if (pending == null) {
                    throw new NoSuchElementException();
                }
                UTF8String sid = pending.getUTF8String(0).clone();
                a = a == null ? new SeriesAssembler(sid.toString(), spec, features) : a.reset(sid.toString());
                while (pending != null && pending.getUTF8String(0).equals(sid)) {
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

    /**
     * A DataFrame of internal rows (Spark's own value types: {@link UTF8String}, microseconds for timestamps,
     * {@link ArrayData}). {@code createDataFrame} of external {@link Row}s converts every field of every row by type
     * (boxed floats of the segment arrays, calendar rebasing of each {@link Timestamp}); for prepare's millions of output
     * rows that cost as much as the Parquet encoding. {@code internalCreateDataFrame} is {@code private[sql]} in Scala,
     * public in the bytecode, and stable across Spark 3.x.
     */
    public static Dataset<Row> internalFrame(SparkSession spark, JavaRDD<InternalRow> rows, StructType schema) {
        return spark.internalCreateDataFrame(rows.rdd(), schema, false);
    }

    /** From 1900-01-01T00:00Z on, Spark's conversion of a {@link Timestamp} is {@code millis * 1000}. */
    static final long MODERN_MILLIS = -2_208_988_800_000L;

    /**
     * Spark's internal timestamp (microseconds) of an instant in epoch milliseconds, equal to what
     * {@code createDataFrame} makes of {@code new Timestamp(millis)}: the conversion itself before 1900, where it rebases
     * from the hybrid Julian calendar in some time zones.
     */
    public static long micros(long millis) {
        return millis >= MODERN_MILLIS ? millis * 1000L : DateTimeUtils.fromJavaTimestamp(new Timestamp(millis));
    }

    private static final UTF8String[] SPLIT_LABELS = labels();

    private static UTF8String[] labels() {
        SplitLabel[] all = SplitLabel.values();
        UTF8String[] out = new UTF8String[all.length];
        for (SplitLabel l : all) {
            out[l.code()] = UTF8String.fromString(l.label);
        }
        return out;
    }

    /**
     * Rows of {@link PreparedLayout#seriesSchema}, internal (see {@link #internalFrame}), one step at a time into one
     * reused row: the plan copies each row before asking for the next.
     */
    public static Iterator<InternalRow> seriesRows(AssembledSeries s, Normalizer normalizer) {
        Normalization.Scale scale = normalizer.scaleFor(s.seriesId());
        UTF8String id = UTF8String.fromString(s.seriesId());
        Iterator<Segment> segments = s.segments().iterator();
        return new Iterator<>() {
            Segment seg = segments.hasNext() ? segments.next() : null;
            int t;
            final UnsafeRowWriter w = new UnsafeRowWriter(7 + 2 * (seg == null ? 0 : seg.features()));

            @Override
            public boolean hasNext() {
                while (seg != null && t >= seg.length()) {
                    seg = segments.hasNext() ? segments.next() : null;
                    t = 0;
                }
                return seg != null;
            }

            @Override
            public InternalRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int nf = seg.features();
                w.reset();
                w.zeroOutNullBytes();
                w.write(0, id);
                w.write(1, micros(seg.timestamp(t)));
                w.write(2, seg.index);
                w.write(3, t);
                w.write(4, SPLIT_LABELS[seg.split[t]]);
                w.write(5, seg.filled[t]);
                w.write(6, seg.rawRows[t]);
                for (int f = 0; f < nf; f++) {
                    w.write(7 + f, seg.values[f][t]);
                    w.write(7 + nf + f, scale.apply(f, seg.values[f][t]));
                }
                t++;
                return w.getRow();
            }
        };
    }

    /** Rows of {@link PreparedLayout#segmentSchema}, internal (see {@link #internalFrame}). */
    public static Iterator<InternalRow> segmentRows(AssembledSeries s, Normalizer normalizer) {
        Normalization.Scale scale = normalizer.scaleFor(s.seriesId());
        UTF8String id = UTF8String.fromString(s.seriesId());
        List<InternalRow> out = new ArrayList<>();
        for (Segment seg : s.segments()) {
            float[][] values = new float[seg.features()][seg.length()];
            for (int f = 0; f < seg.features(); f++) {
                float[] v = values[f];
                for (int t = 0; t < seg.length(); t++) {
                    v[t] = (float) scale.apply(f, seg.values[f][t]);
                }
            }
            out.add(new GenericInternalRow(new Object[]{id, seg.index, micros(seg.startTs), seg.stepMillis,
                    seg.length(), PreparedLayout.packSegmentValues(values), seg.split}));
        }
        return out.iterator();
    }

    /**
     * Rows of {@link PreparedLayout#windowFileSchema} (no split column) of the windows of one split, internal (see
     * {@link #internalFrame}), in the order {@link #windowRows(AssembledSeries, WindowSpec)} gives them.
     */
    public static Iterator<InternalRow> windowRows(AssembledSeries s, WindowSpec spec, SplitLabel only) {
        return windowRows(s, spec, java.util.Objects.requireNonNull(only, "only"), false);
    }

    /** Rows of {@link PreparedLayout#windowSchema}, internal (see {@link #internalFrame}). */
    public static Iterator<InternalRow> windowRows(AssembledSeries s, WindowSpec spec) {
        return windowRows(s, spec, null, true);
    }

    /** The windows of split {@code only} (null: all), with the split column last when {@code withSplit}. */
    private static Iterator<InternalRow> windowRows(AssembledSeries s, WindowSpec spec, SplitLabel only,
                                                    boolean withSplit) {
        List<InternalRow> out = new ArrayList<>();
        UTF8String id = UTF8String.fromString(s.seriesId());
        UnsafeRowWriter row = new UnsafeRowWriter(withSplit ? 6 : 5);
        Windower w = new Windower(spec);
        for (Segment seg : s.segments()) {
            w.cut(seg, (sg, origin, history, split) -> {
                if (only != null && split != only) {
                    return;
                }
                row.reset();
                row.zeroOutNullBytes();
                row.write(0, id);
                row.write(1, sg.index);
                row.write(2, origin);
                row.write(3, micros(sg.timestamp(origin)));
                row.write(4, history);
                if (withSplit) {
                    row.write(5, SPLIT_LABELS[split.code()]);
                }
                out.add(row.getRow().copy());
            });
        }
        return out.iterator();
    }

    /**
     * One pass over a partition of assembled series: each series' training statistics (the segments' accumulators
     * merged in segment order, as {@code reduceByKey} merged them) and the series' counts, without
     * {@code seriesOnGlobalStats}, which needs the fitted normalizer (see
     * {@link SeriesCounts#seriesOnGlobalStats(Normalizer)}). A series is assembled in one partition only (the rows are
     * partitioned by series), so the partitions' maps have disjoint keys.
     */
    public static Iterator<PartitionSummary> summarize(Iterator<AssembledSeries> series, Normalization method,
                                                       WindowSpec spec) {
        PartitionSummary p = new PartitionSummary();
        while (series.hasNext()) {
            AssembledSeries s = series.next();
            Iterator<Tuple2<String, StatsAccumulator>> st = trainStats(s, method);
            while (st.hasNext()) {
                Tuple2<String, StatsAccumulator> t = st.next();
                p.stats.merge(t._1(), t._2(), StatsAccumulator::merge);
            }
            p.counts.add(counts(s, spec));
            for (Segment seg : s.segments()) {
                p.firstTs = Math.min(p.firstTs, seg.startTs);
            }
        }
        return List.of(p).iterator();
    }

    /** What {@link #summarize} gives for one partition. */
    public static final class PartitionSummary implements java.io.Serializable {
        public final java.util.Map<String, StatsAccumulator> stats = new java.util.LinkedHashMap<>();
        public final SeriesCounts counts = new SeriesCounts();
        /** The earliest segment start of the partition (epoch milliseconds; {@code Long.MAX_VALUE}: none). */
        public long firstTs = Long.MAX_VALUE;
    }

    /**
     * Counts for one series: the job adds them up on the driver to balance rows and windows. All but
     * {@code seriesOnGlobalStats}, which the job sets once the normalizer is fitted
     * ({@link SeriesCounts#seriesOnGlobalStats(Normalizer)}).
     */
    public static SeriesCounts counts(AssembledSeries s, WindowSpec spec) {
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

        /**
         * Sets {@link #seriesOnGlobalStats} from the fitted normalizer: the series without a scale of their own.
         * Every series with one is among the {@link #series} counted (its scale was fitted from its own statistics),
         * so that is the series counted less the normalizer's per-series scales.
         */
        public SeriesCounts seriesOnGlobalStats(Normalizer normalizer) {
            seriesOnGlobalStats = series - normalizer.perSeries().size();
            return this;
        }

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
