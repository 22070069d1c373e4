package io.tsforge.spark;

import io.tsforge.core.AssembledSeries;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.Segment;
import io.tsforge.core.SplitLabel;
import io.tsforge.core.WindowSpec;
import io.tsforge.core.Windower;
import io.tsforge.io.Storage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.io.api.Binary;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * prepare's Parquet outputs in one job over the assembled series, each task writing its partition's part file of
 * {@code series/} (when it is Parquet), {@code segments/} and each {@code windows/split=<label>/} with
 * {@link ParquetColumns}, instead of one Spark write per output (five jobs, each building Spark rows of every step or
 * window and pushing them through Spark's Parquet writer and commit protocol). The files hold the rows, in the same
 * order, the schemas, footers and compression of those writes; they are named as Spark names its part files
 * ({@code part-<partition>-<write id>-c000.snappy.parquet}), and as Spark's writes did, a partition without rows
 * writes no file except partition 0, which writes one (possibly empty) file per folder. Files are committed as
 * Hadoop's file output committer commits them: a task writes each file under a hidden name in the folder's
 * {@code _temporary/<job>/} (which readers skip) and, once all its files are complete, renames them to their part
 * file names there; a file of that name already there is kept (another attempt of the same task wrote it, with the
 * same rows: a retry after a failed rename, a speculative twin, an attempt of a lost executor). After the job the
 * driver moves the part files into their folders, removes {@code _temporary} and writes each folder's
 * {@code _SUCCESS}; a failed job leaves no part file in the folders (its {@code _temporary} removed).
 */
public final class PreparedWriter implements Serializable {

    /** Rows written to each output: series steps, segments, and windows of train, validation and test. */
    public static final class Rows implements Serializable {
        public long series;
        public long segments;
        public final long[] windows = new long[3];

        Rows add(Rows o) {
            series += o.series;
            segments += o.segments;
            for (int i = 0; i < windows.length; i++) {
                windows[i] += o.windows[i];
            }
            return this;
        }
    }

    private static final SplitLabel[] SPLITS = {SplitLabel.TRAIN, SplitLabel.VALIDATION, SplitLabel.TEST};
    private static final int OUTPUTS = 2 + SPLITS.length;
    private static final int SERIES = 0;
    private static final int SEGMENTS = 1;

    private final ParquetColumns.Spec[] specs = new ParquetColumns.Spec[OUTPUTS];
    private final String[] dirs = new String[OUTPUTS];
    private final String[] writeIds = new String[OUTPUTS];
    /** This job's staging folder in each output folder: {@code _temporary/<uuid>}. */
    private final String staging = "_temporary/" + UUID.randomUUID();
    private final WindowSpec window;
    private final int features;
    private final Broadcast<SerializableConfiguration> hadoop;
    private final Broadcast<Normalizer> normalizer;

    private PreparedWriter(SparkSession spark, String out, boolean series, boolean[] splits, WindowSpec window,
                           List<String> valueColumns, Broadcast<Normalizer> normalizer,
                           Broadcast<SerializableConfiguration> hadoop) {
        this.window = window;
        this.features = valueColumns.size();
        this.normalizer = normalizer;
        this.hadoop = hadoop;
        if (series) {
            List<String> norm = new ArrayList<>();
            for (String v : valueColumns) {
                norm.add(v + "_norm");  // as many distinct doubles as steps: no dictionary (as in Spark's write)
            }
            specs[SERIES] = ParquetColumns.spec(spark, PreparedLayout.seriesSchema(valueColumns), Set.copyOf(norm));
            dirs[SERIES] = out + "/" + PreparedLayout.SERIES;
        }
        specs[SEGMENTS] = ParquetColumns.spec(spark, PreparedLayout.segmentSchema(),
                Set.of(PreparedLayout.SEGMENT_VALUES));
        dirs[SEGMENTS] = out + "/" + PreparedLayout.SEGMENTS;
        ParquetColumns.Spec windows = ParquetColumns.spec(spark, PreparedLayout.windowFileSchema(), Set.of());
        for (int i = 0; i < SPLITS.length; i++) {
            if (splits[i]) {
                specs[2 + i] = windows;
                dirs[2 + i] = out + "/" + PreparedLayout.WINDOWS + "/split=" + SPLITS[i].label;
            }
        }
        for (int o = 0; o < OUTPUTS; o++) {
            writeIds[o] = UUID.randomUUID().toString();
        }
    }

    /**
     * Writes {@code series/} (when {@code series}), {@code segments/} and {@code windows/split=<label>/} for each split
     * with windows ({@code windows}: the counts of the statistics pass) under {@code out}, replacing what was there,
     * and returns the rows written. With no window at all {@code windows/} is left alone: the caller writes it.
     */
    public static Rows write(SparkSession spark, JavaRDD<AssembledSeries> assembled, Broadcast<Normalizer> normalizer,
                             WindowSpec window, List<String> valueColumns, String out, boolean series,
                             Windower.Counts windows) {
        Broadcast<SerializableConfiguration> hadoop = broadcastHadoopConf(spark);
        try {
            return write(spark, assembled, normalizer, window, valueColumns, out, series, windows, hadoop);
        } finally {
            hadoop.destroy();
        }
    }

    /** The session's Hadoop configuration, broadcast for the tasks that read or write files themselves. */
    public static Broadcast<SerializableConfiguration> broadcastHadoopConf(SparkSession spark) {
        return JavaSparkContext.fromSparkContext(spark.sparkContext())
                .broadcast(new SerializableConfiguration(spark.sessionState().newHadoopConf()));
    }

    /** {@link #write} with the session's Hadoop configuration already broadcast ({@link #broadcastHadoopConf}). */
    public static Rows write(SparkSession spark, JavaRDD<AssembledSeries> assembled, Broadcast<Normalizer> normalizer,
                             WindowSpec window, List<String> valueColumns, String out, boolean series,
                             Windower.Counts windows, Broadcast<SerializableConfiguration> hadoop) {
        boolean[] splits = {windows.train > 0, windows.validation > 0, windows.test > 0};
        boolean anyWindows = windows.train + windows.validation + windows.test > 0;
        PreparedWriter w = new PreparedWriter(spark, out, series, splits, window, valueColumns, normalizer, hadoop);
        Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
        FileSystem fs = storage.fs(out);
        try {
            // as the overwriting writes: the folders replaced whole (no split of an earlier run is left behind)
            fs.delete(new Path(out, PreparedLayout.SEGMENTS), true);
            if (anyWindows) {
                fs.delete(new Path(out, PreparedLayout.WINDOWS), true);
            }
            if (series) {
                fs.delete(new Path(out, PreparedLayout.SERIES), true);
            }
            for (String d : w.dirs) {
                if (d != null) {
                    fs.mkdirs(new Path(d));
                }
            }
            Rows rows = new Rows();
            boolean committed = false;
            try {
                // (a failed job throws SparkException, which Java sees as no checked exception at all)
                for (Rows r : assembled.mapPartitionsWithIndex(w::writePartition, false).collect()) {
                    rows.add(r);
                }
                w.commitJob(fs);
                committed = true;
            } finally {
                if (!committed) {
                    w.abortJob(fs);
                }
            }
            for (String d : w.dirs) {
                if (d != null) {
                    fs.create(new Path(d, "_SUCCESS"), true).close();
                }
            }
            if (anyWindows) {
                // last, as the partitioned write of windows/ left it
                fs.create(new Path(out + "/" + PreparedLayout.WINDOWS, "_SUCCESS"), true).close();
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the outputs under " + out + ": " + e.getMessage(), e);
        }
    }

    /** Moves the tasks' part files from each folder's staging folder into the folder, then removes the staging. */
    private void commitJob(FileSystem fs) throws IOException {
        for (String d : dirs) {
            if (d == null) {
                continue;
            }
            Path dir = new Path(d);
            Path stage = new Path(dir, staging);
            if (!fs.exists(stage)) {
                continue;
            }
            for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(stage)) {
                String name = f.getPath().getName();
                if (name.startsWith("part-")) {
                    Path target = new Path(dir, name);
                    if (!fs.rename(f.getPath(), target)) {
                        throw new IOException("cannot rename " + f.getPath() + " to " + target);
                    }
                }
            }
            fs.delete(new Path(dir, "_temporary"), true);
        }
    }

    /** After a failed job: each folder's staging removed, so no file of it is left in the folders. */
    private void abortJob(FileSystem fs) {
        for (String d : dirs) {
            if (d != null) {
                try {
                    fs.delete(new Path(d, "_temporary"), true);
                } catch (IOException ignored) {
                    // the job's own failure is the one reported; readers skip _temporary
                }
            }
        }
    }

    /**
     * Why the session's settings need Spark's own Parquet writer (null: this one writes what it would): Parquet keys
     * in its Hadoop configuration that {@link ParquetColumns} does not apply, or another commit protocol or committer.
     */
    public static String unsupported(SparkSession spark) {
        return ParquetColumns.unsupported(spark.sessionState().newHadoopConf(), spark.sessionState().conf());
    }

    /** The part file name of partition {@code p} in output {@code o}. */
    private String fileName(int o, int p) {
        return String.format("part-%05d-%s-c000%s", p, writeIds[o], specs[o].extension());
    }

    private Iterator<Rows> writePartition(int partition, Iterator<AssembledSeries> it) {
        Configuration conf = hadoop.value().value();
        FileSystem fs;
        try {
            // the file system as Spark's writers get it (checksum files as the instance has them)
            fs = new Path(dirs[SEGMENTS]).getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long attempt = TaskContext.get() == null ? 0 : TaskContext.get().taskAttemptId();
        Path[] tmp = new Path[OUTPUTS];
        ParquetColumns[] files = new ParquetColumns[OUTPUTS];
        Rows rows = new Rows();
        boolean done = false;
        try {
            Normalizer n = normalizer.value();
            Windower windower = new Windower(window);
            Scratch scratch = new Scratch(features);
            while (it.hasNext()) {
                AssembledSeries s = it.next();
                Binary id = Binary.fromConstantByteArray(s.seriesId().getBytes(StandardCharsets.UTF_8));
                Normalization.Scale scale = n.scaleFor(s.seriesId());
                for (Segment seg : s.segments()) {
                    if (specs[SERIES] != null && seg.length() > 0) {
                        seriesRows(open(files, tmp, fs, SERIES, partition, attempt), id, seg, scale, scratch);
                    }
                    segmentRow(open(files, tmp, fs, SEGMENTS, partition, attempt), id, seg, scale);
                    scratch.clearWindows();
                    windower.cut(seg, scratch);
                    for (int i = 0; i < SPLITS.length; i++) {
                        if (scratch.windows[i] > 0) {
                            windowRows(open(files, tmp, fs, 2 + i, partition, attempt), id, seg, scratch, i);
                        }
                    }
                }
            }
            for (int o = 0; o < OUTPUTS; o++) {
                if (partition == 0 && specs[o] != null) {
                    open(files, tmp, fs, o, partition, attempt);  // partition 0 writes a file in every folder
                }
            }
            for (int o = 0; o < OUTPUTS; o++) {
                if (files[o] != null) {
                    files[o].close();
                }
            }
            rows.series = files[SERIES] == null ? 0 : files[SERIES].rows();
            rows.segments = files[SEGMENTS] == null ? 0 : files[SEGMENTS].rows();
            for (int i = 0; i < SPLITS.length; i++) {
                rows.windows[i] = files[2 + i] == null ? 0 : files[2 + i].rows();
            }
            for (int o = 0; o < OUTPUTS; o++) {
                if (tmp[o] != null) {
                    commitFile(fs, tmp[o], new Path(new Path(dirs[o], staging), fileName(o, partition)));
                }
            }
            done = true;
            return List.of(rows).iterator();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write partition " + partition + " of the prepared outputs: "
                    + e.getMessage(), e);
        } finally {
            if (!done) {
                for (int o = 0; o < OUTPUTS; o++) {
                    if (files[o] != null) {
                        files[o].abort();
                    }
                    if (tmp[o] != null) {
                        try {
                            fs.delete(tmp[o], false);
                        } catch (IOException ignored) {
                            // the hidden file stays in _temporary, which the job's end removes
                        }
                    }
                }
            }
        }
    }

    /**
     * Renames a task's complete file to its part file name in the staging folder, unless another attempt of the task
     * got there first: its file has the same rows (the partition's series are the same in every attempt), so it is
     * kept, never deleted, and this attempt's copy goes.
     */
    static void commitFile(FileSystem fs, Path tmp, Path target) throws IOException {
        if (!fs.exists(target) && fs.rename(tmp, target)) {
            return;
        }
        if (!fs.exists(target)) {
            throw new IOException("cannot rename " + tmp + " to " + target);
        }
        fs.delete(tmp, false);
    }

    private ParquetColumns open(ParquetColumns[] files, Path[] tmp, FileSystem fs, int o, int partition,
                                long attempt) throws IOException {
        if (files[o] == null) {
            tmp[o] = new Path(new Path(dirs[o], staging), "." + fileName(o, partition) + "." + attempt + ".inprogress");
            files[o] = new ParquetColumns(fs, tmp[o], specs[o], hadoop.value().value());
        }
        return files[o];
    }

    private static final Binary[] SPLIT_LABELS = labels();

    private static Binary[] labels() {
        SplitLabel[] all = SplitLabel.values();
        Binary[] out = new Binary[all.length];
        for (SplitLabel l : all) {
            out[l.code()] = Binary.fromConstantByteArray(l.label.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * A task's reused arrays: a segment's timestamps and normalized values, and its windows by split as the
     * {@link Windower} gives them (the sink it is handed).
     */
    private static final class Scratch implements Windower.Sink {
        long[] micros = new long[0];
        double[][] normalized;
        final int[] windows = new int[SPLITS.length];
        final int[][] origins = new int[SPLITS.length][64];
        final int[][] histories = new int[SPLITS.length][64];

        Scratch(int features) {
            normalized = new double[features][0];
        }

        void ensure(int n) {
            if (micros.length < n) {
                int cap = Math.max(n, 2 * micros.length);
                micros = new long[cap];
                for (int f = 0; f < normalized.length; f++) {
                    normalized[f] = new double[cap];
                }
            }
        }

        /** The segment's step times, as Parquet's microseconds, into {@link #micros}. */
        void stepMicros(Segment seg) {
            long[] m = micros;
            for (int t = 0, n = seg.length(); t < n; t++) {
                m[t] = PrepareFunctions.micros(seg.timestamp(t));
            }
        }

        /** The times of the steps {@code origins[0 .. m)}, as Parquet's microseconds, into {@link #micros}. */
        void originMicros(Segment seg, int[] origins, int m) {
            long[] t = micros;
            for (int j = 0; j < m; j++) {
                t[j] = PrepareFunctions.micros(seg.timestamp(origins[j]));
            }
        }

        /** The segment's values scaled by {@code scale}, feature by feature, into {@link #normalized}. */
        void normalize(Segment seg, Normalization.Scale scale) {
            for (int f = 0, n = seg.length(); f < seg.features(); f++) {
                double[] v = seg.values[f];
                double[] z = normalized[f];
                for (int t = 0; t < n; t++) {
                    z[t] = scale.apply(f, v[t]);
                }
            }
        }

        void clearWindows() {
            java.util.Arrays.fill(windows, 0);
        }

        @Override
        public void accept(Segment segment, int origin, int history, SplitLabel split) {
            int i = split.code();  // TRAIN, VALIDATION, TEST: as SPLITS
            int w = windows[i];
            if (w == origins[i].length) {
                origins[i] = java.util.Arrays.copyOf(origins[i], 2 * w);
                histories[i] = java.util.Arrays.copyOf(histories[i], 2 * w);
            }
            origins[i][w] = origin;
            histories[i][w] = history;
            windows[i] = w + 1;
        }
    }

    /**
     * The rows {@link PrepareFunctions#seriesRows} gives for one segment, written column by column in runs of rows
     * that end where the file checks its sizes ({@link ParquetColumns#rowsBeforeCheck}): the same pages as row by row.
     */
    private void seriesRows(ParquetColumns w, Binary id, Segment seg, Normalization.Scale scale, Scratch scratch)
            throws IOException {
        int n = seg.length();
        int nf = seg.features();
        scratch.ensure(n);
        long[] micros = scratch.micros;
        scratch.stepMicros(seg);
        scratch.normalize(seg, scale);
        // No loop over the steps in this method itself: its one loop turns once per run of rows (a few per segment).
        // Per-step loops here had the JIT compile it on stack, then whole, with every column writer inlined: two
        // compiles of 57-60 KB, 1.8 s on the JVM's one C2 thread, done near the end of the write (3 M rows). The
        // column writers are now compiled on their own (10-16 KB each).
        for (int from = 0; from < n; ) {
            int k = w.rowsBeforeCheck(n - from);
            int to = from + k;
            w.binaries(0, id, k);
            w.int64s(1, micros, from, to);
            w.int32s(2, seg.index, k);
            w.int32Range(3, from, to);
            w.binaries(4, SPLIT_LABELS, seg.split, from, to);
            w.bools(5, seg.filled, from, to);
            w.int32s(6, seg.rawRows, from, to);
            for (int f = 0; f < nf; f++) {
                w.float64s(7 + f, seg.values[f], from, to);
            }
            for (int f = 0; f < nf; f++) {
                w.float64s(7 + nf + f, scratch.normalized[f], from, to);
            }
            w.endRows(k);
            from = to;
        }
    }

    /**
     * The rows {@link PrepareFunctions#windowRows} gives for the windows of split {@code i} of one segment (in the
     * order the {@link Windower} gave them), column by column as {@link #seriesRows}.
     */
    private static void windowRows(ParquetColumns w, Binary id, Segment seg, Scratch scratch, int i)
            throws IOException {
        int m = scratch.windows[i];
        int[] origins = scratch.origins[i];
        scratch.ensure(m);
        long[] micros = scratch.micros;
        scratch.originMicros(seg, origins, m);
        for (int from = 0; from < m; ) {  // no per-window loop here, as in seriesRows
            int k = w.rowsBeforeCheck(m - from);
            int to = from + k;
            w.binaries(0, id, k);
            w.int32s(1, seg.index, k);
            w.int32s(2, origins, from, to);
            w.int64s(3, micros, from, to);
            w.int32s(4, scratch.histories[i], from, to);
            w.endRows(k);
            from = to;
        }
    }

    /** The row {@link PrepareFunctions#segmentRows} gives for one segment. */
    private void segmentRow(ParquetColumns w, Binary id, Segment seg, Normalization.Scale scale) throws IOException {
        float[][] values = new float[seg.features()][seg.length()];
        for (int f = 0; f < seg.features(); f++) {
            float[] v = values[f];
            for (int t = 0; t < seg.length(); t++) {
                v[t] = (float) scale.apply(f, seg.values[f][t]);
            }
        }
        w.binary(0, id);
        w.int32(1, seg.index);
        w.int64(2, PrepareFunctions.micros(seg.startTs));
        w.int64(3, seg.stepMillis);
        w.int32(4, seg.length());
        w.binary(5, Binary.fromConstantByteArray(PreparedLayout.packSegmentValues(values)));
        w.binary(6, Binary.fromConstantByteArray(seg.split.clone()));
        w.endRow();
    }
}
