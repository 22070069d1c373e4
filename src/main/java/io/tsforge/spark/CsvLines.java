package io.tsforge.spark;

import com.univocity.parsers.csv.CsvParser;
import io.tsforge.config.InputSpec;
import io.tsforge.core.CsvLineSplitter;
import io.tsforge.core.RawRowParser;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.Text;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.execution.datasources.FileScanRDD;
import org.apache.spark.sql.execution.datasources.HadoopFileLinesReader;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.csv.CSVOptions;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.array.ByteArrayMethods;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Tuple2;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.input_file_name;

/**
 * prepare's CSV input read as text lines (Spark's text source: the same files, splits, partitions and line breaks as
 * its CSV source) and split by {@link CsvLineSplitter}, instead of Spark's CSV source with its corrupt-record column.
 * The rows are those {@link RawInput#read} gives for the same input: the header line (the first non-blank line of each
 * file, taken from the split that starts the file) and blank lines are dropped, a line with the wrong number of fields
 * is malformed and keeps its fields by position, empty fields are null, {@code _ord} is Spark's
 * {@code monotonically_increasing_id} of the row (partition index, then the row's rank among the partition's rows).
 * Lines holding quotes or escapes, and every line when the delimiter is longer than one character, are tokenized by
 * univocity set up by Spark's own {@link CSVOptions}, as Spark's CSV source tokenizes every line.
 */
public final class CsvLines implements Serializable {

    private final String path;
    private final String delimiter;
    private final int columns;
    private final int[] selected;
    private final boolean wide;
    private final String seriesName;
    private final int values;
    private final boolean pruned;
    private transient Dataset<Row> lines;
    private transient String[] files;
    /** Spark's partitions of the text scan, with their preferred hosts; null: read through {@link #lineRows()}. */
    private transient List<Tuple2<FilePartition, scala.collection.Seq<String>>> splits;
    private Broadcast<SerializableConfiguration> hadoop;

    private CsvLines(String path, String delimiter, int columns, int[] selected, boolean wide, String seriesName,
                     int values, boolean pruned) {
        this.pruned = pruned;
        this.path = path;
        this.delimiter = delimiter;
        this.columns = columns;
        this.selected = selected;
        this.wide = wide;
        this.seriesName = seriesName;
        this.values = values;
    }

    /** A reader of lines already split from their input (for tests): the columns as {@link #open} locates them. */
    static CsvLines of(String delimiter, int columns, int[] selected, boolean wide, String seriesName, int values,
                       boolean pruned) {
        return new CsvLines(null, delimiter, columns, selected.clone(), wide, seriesName, values, pruned);
    }

    /**
     * The lines of a CSV input, with the columns prepare reads located in its header (Spark's header, as
     * {@link RawInput#read} reads it: missing columns fail there naming the key and column).
     */
    public static CsvLines open(SparkSession spark, InputSpec in) {
        return open(spark, in, null);
    }

    /**
     * {@link #open(SparkSession, InputSpec)} with the session's Hadoop configuration already broadcast (null: broadcast
     * it when the splits are read directly).
     */
    public static CsvLines open(SparkSession spark, InputSpec in, Broadcast<SerializableConfiguration> hadoop) {
        StructType header = RawInput.csvHeader(spark, in);
        List<String> names = Arrays.asList(header.fieldNames());
        RawInput.requireColumns(names, in);
        List<Integer> sel = new ArrayList<>();
        if (!in.wide()) {
            sel.add(names.indexOf(in.idColumn()));
        }
        sel.add(names.indexOf(in.timeColumn()));
        for (String v : in.valueColumns()) {
            sel.add(names.indexOf(v));
        }
        // Spark's CSV parser reads only the selected columns when column pruning is on and fewer columns are read
        // than the header has: it then checks no line's field count (see CsvLineSplitter)
        boolean pruning = Boolean.parseBoolean(spark.conf().get("spark.sql.csv.parser.columnPruning.enabled", "true"));
        CsvLines c = new CsvLines(in.path(), in.csvDelimiter(), names.size(),
                sel.stream().mapToInt(Integer::intValue).toArray(), in.wide(), in.seriesName(),
                in.valueColumns().size(), pruning && sel.size() < names.size());
        Dataset<Row> text = spark.read().text(in.path());
        c.files = text.inputFiles();
        c.lines = text.select(col("value"), input_file_name(), expr("input_file_block_start()"));
        FileScanRDD scan = fileScan(text.queryExecution().executedPlan());
        boolean lenient = spark.sessionState().conf().ignoreCorruptFiles()
                || spark.sessionState().conf().ignoreMissingFiles();
        if (scan != null && !lenient && scan.filePartitions().nonEmpty()) {
            c.splits = new ArrayList<>();
            for (FilePartition p : scala.collection.JavaConverters.seqAsJavaList(scan.filePartitions())) {
                c.splits.add(new Tuple2<>(p, scan.preferredLocations(p)));
            }
            c.hadoop = hadoop != null ? hadoop : PreparedWriter.broadcastHadoopConf(spark);
        }
        return c;
    }

    /** The file scan under a plan of Spark's text source (null when there is none, or another kind of RDD). */
    private static FileScanRDD fileScan(SparkPlan plan) {
        if (plan instanceof FileSourceScanExec f) {
            return f.inputRDD() instanceof FileScanRDD r ? r : null;
        }
        for (SparkPlan child : scala.collection.JavaConverters.seqAsJavaList(plan.children())) {
            FileScanRDD r = fileScan(child);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /**
     * {@code f} over a cursor of each input partition: the partitions, file splits and lines of Spark's text scan of
     * the input, read split by split with Spark's own line reader ({@code HadoopFileLinesReader}, as the text and CSV
     * sources read them) without making a row of each line and without looking up its file name per line; one task
     * per partition of the scan, in its order (so the task's partition is the scan's), with the scan's preferred
     * hosts. Through the text rows ({@link #lineRows()}) when the scan is not a plain file scan or the session skips
     * corrupt or missing files.
     */
    public <T> JavaRDD<T> mapCursors(SparkSession spark, FlatMapFunction<Cursor, T> f) {
        if (splits == null) {
            return lineRows().mapPartitions(rows -> f.call(cursor(rows)));
        }
        scala.reflect.ClassTag<FilePartition> tag = scala.reflect.ClassTag$.MODULE$.apply(FilePartition.class);
        JavaRDD<FilePartition> parts = spark.sparkContext().makeRDD(
                scala.collection.JavaConverters.asScalaBuffer(splits).toSeq(), tag).toJavaRDD();
        return parts.mapPartitions(it -> f.call(new Cursor(new SplitLines(it.next(), hadoop.value().value()))));
    }

    /** Whether {@link #mapCursors} reads the file splits itself (else through {@link #lineRows()}). */
    boolean readsSplits() {
        return splits != null;
    }

    /** The input files, as {@code Dataset.inputFiles()} names them (the names the rows' {@code _file} carries). */
    public String[] inputFiles() {
        return files.clone();
    }

    /** The text rows {@code value, file, block start} the cursors read. */
    public JavaRDD<InternalRow> lineRows() {
        return lines.queryExecution().toRdd().toJavaRDD();
    }

    /** Spark's CSV options for this input, as its CSV source builds them from prepare's read options. */
    static CSVOptions sparkOptions(String delimiter) {
        scala.collection.immutable.Map<String, String> m = scala.collection.immutable.Map$.MODULE$.empty();
        m = m.$plus(new Tuple2<>("header", "true")).$plus(new Tuple2<>("sep", delimiter))
                .$plus(new Tuple2<>("mode", "PERMISSIVE"))
                .$plus(new Tuple2<>("columnNameOfCorruptRecord", RawInput.CORRUPT));
        return new CSVOptions(m, false, "UTC");
    }

    /** A splitter of this input's lines with Spark's delimiter, quote, escape and comment characters. */
    public static CsvLineSplitter splitter(String delimiter, int columns, boolean pruned, int... selected) {
        CSVOptions o = sparkOptions(delimiter);
        return new CsvLineSplitter(o.delimiter(), o.quote(), o.escape(), o.isCommentSet() ? o.comment() : '\0',
                columns, o.maxColumns(), pruned, selected);
    }

    /**
     * univocity set up as Spark's CSV source sets it up, one line at a time (as Spark parses without multiLine): with
     * the splitter's ascending column selection when pruned.
     */
    public static CsvLineSplitter.Tokenizer sparkTokenizer(String delimiter, CsvLineSplitter splitter, boolean pruned) {
        var settings = sparkOptions(delimiter).asParserSettings();
        if (pruned) {
            settings.selectIndexes(java.util.Arrays.stream(splitter.ascendingColumns()).boxed()
                    .toArray(Integer[]::new));
        }
        CsvParser parser = new CsvParser(settings);
        return parser::parseLine;
    }

    /** Walks the data lines of one partition of {@link #lineRows()}: the fields of one raw row at a time. */
    public Cursor cursor(Iterator<InternalRow> rows) {
        return new Cursor(new RowLines(rows));
    }

    /** One partition's lines, one at a time: the line's bytes, its file, and where each file split starts. */
    abstract static class Lines {
        /** The current line's bytes, {@code bytes[0, length)}: valid until the next {@link #next}. */
        byte[] bytes;
        int length;
        /** The current line's file name (one instance for all the lines of a split). */
        UTF8String file;
        /** Whether the current line is the first of a file split, which starts at byte {@code splitStart}. */
        boolean newSplit;
        long splitStart;

        /** Moves to the next line; false at the end of the partition. */
        abstract boolean next();
    }

    /**
     * Lines from text rows {@code value, file, block start}: a new split wherever the file name changes (the rows
     * carry no other mark of a split).
     */
    static final class RowLines extends Lines {
        private final Iterator<InternalRow> rows;
        private byte[] buffer = new byte[256];

        RowLines(Iterator<InternalRow> rows) {
            this.rows = rows;
        }

        @Override
        boolean next() {
            if (!rows.hasNext()) {
                return false;
            }
            InternalRow row = rows.next();
            UTF8String f = row.getUTF8String(1);
            newSplit = !f.equals(file);
            if (newSplit) {
                file = f.clone();
                splitStart = row.getLong(2);
            }
            UTF8String text = row.getUTF8String(0);
            length = text.numBytes();
            if (buffer.length < length) {
                buffer = new byte[Math.max(length, 2 * buffer.length)];
            }
            text.writeToMemory(buffer, Platform.BYTE_ARRAY_OFFSET);
            bytes = buffer;
            return true;
        }
    }

    /**
     * The lines of one partition of Spark's file scan, split by split, read as Spark's text source reads them
     * ({@code HadoopFileLinesReader} with its default line separators, each split closed once read, and at the end
     * of the task in any case); the file name is the split's {@code urlEncodedPath}, what {@code input_file_name()}
     * gives its lines.
     */
    static final class SplitLines extends Lines {
        private final PartitionedFile[] files;
        private final Configuration conf;
        private int next;
        private HadoopFileLinesReader reader;
        private boolean first;

        SplitLines(FilePartition partition, Configuration conf) {
            this.files = partition.files();
            this.conf = conf;
            TaskContext task = TaskContext.get();
            if (task != null) {
                task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> close());
            }
        }

        @Override
        boolean next() {
            while (true) {
                if (reader != null && reader.hasNext()) {
                    Text t = reader.next();
                    bytes = t.getBytes();
                    length = t.getLength();
                    newSplit = first;
                    first = false;
                    return true;
                }
                close();
                if (next == files.length) {
                    return false;
                }
                PartitionedFile f = files[next++];
                reader = new HadoopFileLinesReader(f, conf);
                file = UTF8String.fromString(f.urlEncodedPath());
                splitStart = f.start();
                first = true;
            }
        }

        private void close() {
            if (reader != null) {
                try {
                    reader.close();
                } finally {
                    reader = null;
                }
            }
        }
    }

    /**
     * One raw row at a time ({@link RawInput#schema}'s fields), read from text lines. An ASCII line on the plain path
     * ({@link CsvLineSplitter#splitAscii}) is split and parsed from its bytes ({@link RawRowParser#parseAscii}): its
     * strings are made only when asked for ({@link #strings}) or when that path does not decide the row; any other
     * line is decoded and split as a string ({@link CsvLineSplitter#split}).
     */
    public final class Cursor extends RawCursor {
        private final Lines lines;
        private final CsvLineSplitter splitter = splitter(delimiter, columns, pruned, selected);
        private final CsvLineSplitter.Tokenizer full = sparkTokenizer(delimiter, splitter, pruned);
        private final String[] fields = new String[selected.length];
        private final int[] start = new int[selected.length];
        private final int[] end = new int[selected.length];
        private final long ordBase = ((long) TaskContext.getPartitionId()) << 33;
        private final int first = wide ? 0 : 1;
        private final boolean comments = splitter.hasComment();
        private final UTF8String seriesNameUtf8 = wide ? UTF8String.fromString(seriesName) : null;
        private byte[] line;
        private int length;
        /** 0 or 1: the current line was split from its bytes (1: malformed); -1: split as a string. */
        private int ascii;
        private boolean haveStrings;
        private long rank;
        private boolean headerPending;

        private Cursor(Lines lines) {
            super(CsvLines.this.values);
            this.lines = lines;
        }

        /** Moves to the next data row; false at the end of the partition. */
        @Override
        public boolean advance() {
            while (lines.next()) {
                if (lines.newSplit) {
                    // Spark's CSV source drops the header in the split that starts the file (file.start == 0)
                    headerPending = lines.splitStart == 0;
                }
                line = lines.bytes;
                length = lines.length;
                if (headerPending) {
                    if (!CsvLineSplitter.isBlank(line, length)) {
                        headerPending = false;
                    }
                    continue;
                }
                if (CsvLineSplitter.isBlank(line, length)
                        || (comments && !splitter.isData(new String(line, 0, length, StandardCharsets.UTF_8)))) {
                    continue;
                }
                ascii = splitter.splitAscii(line, length, start, end);
                haveStrings = false;
                if (ascii < 0) {
                    strings();
                }
                file = lines.file;
                ord = ordBase + rank++;
                return true;
            }
            return false;
        }

        @Override
        public void strings() {
            if (haveStrings) {
                return;
            }
            haveStrings = true;
            if (ascii >= 0) {
                for (int k = 0; k < fields.length; k++) {
                    fields[k] = start[k] < 0 ? null
                            : new String(line, start[k], end[k] - start[k], StandardCharsets.ISO_8859_1);
                }
                malformed = ascii == 1;
            } else {
                malformed = splitter.split(new String(line, 0, length, StandardCharsets.UTF_8), fields, full);
            }
            id = wide ? seriesName : fields[0];
            ts = fields[first];
            System.arraycopy(fields, first + 1, values, 0, values.length);
        }

        @Override
        public boolean parse(RawRowParser parser, boolean requireId, RawRowParser.Result r) {
            if (ascii >= 0 && !haveStrings && parser.parseAscii(!wide && requireId, line, start, end, ascii == 1, r)) {
                return true;
            }
            return super.parse(parser, requireId, r);
        }

        @Override
        public UTF8String idUtf8() {
            if (haveStrings) {
                return super.idUtf8();
            }
            if (wide) {
                return seriesNameUtf8;
            }
            if (start[0] < 0) {
                return null;
            }
            UTF8String last = lastIdUtf8();
            int n = end[0] - start[0];
            if (last != null && last.numBytes() == n && ByteArrayMethods.arrayEquals(last.getBaseObject(),
                    last.getBaseOffset(), line, Platform.BYTE_ARRAY_OFFSET + start[0], n)) {
                return last;
            }
            UTF8String id = UTF8String.fromBytes(java.util.Arrays.copyOfRange(line, start[0], end[0]));
            lastIdUtf8(id);
            return id;
        }
    }

    /**
     * The raw rows ({@link RawInput#schema}, internal) of one partition of {@link #lineRows()}: what the quarantine
     * pass reads.
     */
    public Iterator<InternalRow> rawRows(Iterator<InternalRow> rows) {
        return rawRowsOf(cursor(rows));
    }

    /** The raw rows ({@link RawInput#schema}, internal) a cursor walks. */
    static Iterator<InternalRow> rawRowsOf(Cursor c) {
        int values = c.values.length;
        return new Iterator<>() {
            boolean fetched;
            boolean more;

            @Override
            public boolean hasNext() {
                if (!fetched) {
                    more = c.advance();
                    fetched = true;
                }
                return more;
            }

            @Override
            public InternalRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                fetched = false;
                c.strings();
                Object[] out = new Object[2 + values + 3];
                out[0] = utf8(c.id);
                out[1] = utf8(c.ts);
                for (int i = 0; i < values; i++) {
                    out[2 + i] = utf8(c.values[i]);
                }
                out[2 + values] = c.malformed;
                out[3 + values] = c.file.clone();
                out[4 + values] = c.ord;
                return new GenericInternalRow(out);
            }
        };
    }

    /** The raw rows as a DataFrame of {@link RawInput#schema}. */
    public Dataset<Row> raw(SparkSession spark) {
        return PrepareFunctions.internalFrame(spark, mapCursors(spark, CsvLines::rawRowsOf), RawInput.schema(values));
    }

    private static UTF8String utf8(String s) {
        return s == null ? null : UTF8String.fromString(s);
    }
}
