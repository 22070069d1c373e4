package io.tsforge.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.factory.DefaultV1ValuesWriterFactory;
import org.apache.parquet.column.values.factory.DefaultV2ValuesWriterFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.SparkToParquetSchemaConverter;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.StructType;

import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One Parquet file of a flat schema, written straight into parquet-mr's column writers: the file Spark's Parquet
 * writer makes of the same rows (the Parquet schema from Spark's own converter, Spark's footer metadata, the session's
 * compression codec, the Hadoop configuration's Parquet properties, pages and row groups cut as parquet-mr's record
 * writer cuts them), without Spark's rows, its per-field writer closures and parquet-mr's record consumer. Values are
 * written a row at a time (one call per column, then {@link #endRow}), or column by column for a run of rows
 * ({@link #rowsBeforeCheck}, then {@link #endRows}).
 */
final class ParquetColumns implements Closeable {

    /** What a file of one output needs, made on the driver from the session (see {@link #spec}). */
    static final class Spec implements Serializable {
        final String messageType;
        final Map<String, String> metadata;
        final String codec;
        final List<String> noDictionary;

        Spec(String messageType, Map<String, String> metadata, String codec, List<String> noDictionary) {
            this.messageType = messageType;
            this.metadata = metadata;
            this.codec = codec;
            this.noDictionary = noDictionary;
        }

        /** The part files' extension, as Spark names them: {@code .snappy.parquet} for snappy. */
        String extension() {
            return codec().getExtension() + ".parquet";
        }

        /** The session's codec name as Spark's {@code ParquetOptions} reads it (its short names and aliases). */
        CompressionCodecName codec() {
            return codecOf(codec);
        }
    }

    /** A {@code spark.sql.parquet.compression.codec} value as Spark 3.5's {@code ParquetOptions} maps it. */
    static CompressionCodecName codecOf(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "none", "uncompressed" -> CompressionCodecName.UNCOMPRESSED;
            case "lz4raw", "lz4_raw" -> CompressionCodecName.LZ4_RAW;
            default -> CompressionCodecName.fromConf(name.toUpperCase(Locale.ROOT));
        };
    }

    /**
     * The spec of a file of {@code schema} as the session writes it with timestamps as INT64 microseconds (prepare's
     * setting for its Parquet outputs): Spark's conversion of the schema, its footer keys (Spark's version and the
     * schema as JSON), the session's codec; {@code noDictionary} columns without a dictionary.
     */
    static Spec spec(SparkSession spark, StructType schema, Set<String> noDictionary) {
        SQLConf conf = spark.sessionState().conf().clone();
        conf.setConfString("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS");
        MessageType type = new SparkToParquetSchemaConverter(conf).convert(schema);
        Map<String, String> metadata = new HashMap<>();
        metadata.put("org.apache.spark.version", org.apache.spark.package$.MODULE$.SPARK_VERSION_SHORT());
        metadata.put("org.apache.spark.sql.parquet.row.metadata", schema.json());
        return new Spec(type.toString(), metadata, conf.getConfString("spark.sql.parquet.compression.codec"),
                List.copyOf(noDictionary));
    }

    /** The Parquet keys of the Hadoop configuration this writer applies as {@code ParquetOutputFormat} does. */
    static final Set<String> HONORED = Set.of(ParquetOutputFormat.BLOCK_SIZE, ParquetOutputFormat.PAGE_SIZE,
            ParquetOutputFormat.DICTIONARY_PAGE_SIZE, ParquetOutputFormat.ENABLE_DICTIONARY,
            ParquetOutputFormat.WRITER_VERSION, ParquetOutputFormat.MIN_ROW_COUNT_FOR_PAGE_SIZE_CHECK,
            ParquetOutputFormat.MAX_ROW_COUNT_FOR_PAGE_SIZE_CHECK, ParquetOutputFormat.ESTIMATE_PAGE_SIZE_CHECK,
            ParquetOutputFormat.PAGE_ROW_COUNT_LIMIT, ParquetOutputFormat.PAGE_WRITE_CHECKSUM_ENABLED,
            ParquetOutputFormat.MAX_PADDING_BYTES, ParquetOutputFormat.COLUMN_INDEX_TRUNCATE_LENGTH,
            ParquetOutputFormat.STATISTICS_TRUNCATE_LENGTH);

    /**
     * Why Spark's own writer must write under this configuration (null: this writer writes what it would): a Parquet
     * key this writer does not apply (bloom filters, per-column settings, encryption, summary files, ...), or a commit
     * protocol or Parquet committer other than Spark's defaults.
     */
    static String unsupported(Configuration hadoop, SQLConf sql) {
        for (Map.Entry<String, String> e : hadoop) {
            String k = e.getKey();
            if (k.startsWith("parquet.") && !HONORED.contains(k)) {
                return "the Hadoop configuration sets " + k;
            }
        }
        String protocol = sql.getConfString("spark.sql.sources.commitProtocolClass");
        if (!protocol.equals("org.apache.spark.sql.execution.datasources.SQLHadoopMapReduceCommitProtocol")) {
            return "spark.sql.sources.commitProtocolClass is " + protocol;
        }
        String int96 = sql.getConfString("spark.sql.parquet.int96RebaseModeInWrite");
        if (int96.equalsIgnoreCase("LEGACY")) {
            // Spark's footer then carries org.apache.spark.legacyINT96 (and the session's time zone)
            return "spark.sql.parquet.int96RebaseModeInWrite is " + int96;
        }
        String committer = sql.getConfString("spark.sql.parquet.output.committer.class");
        if (!committer.equals("org.apache.parquet.hadoop.ParquetOutputCommitter")) {
            return "spark.sql.parquet.output.committer.class is " + committer;
        }
        return null;
    }

    private final ParquetFileWriter file;
    private final MessageType schema;
    private final ParquetProperties props;
    private final CodecFactory codecs;
    private final CodecFactory.BytesCompressor compressor;
    private final Map<String, String> metadata;
    private final ColumnDescriptor[] descriptors;
    private final int[] definition;
    private final long rowGroupSize;
    private final ColumnWriter[] columns;
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore store;
    private long nextRowGroupSize;
    private long rowsInGroup;
    private long rowsForNextCheck;
    private long rows;
    private boolean closed;

    ParquetColumns(FileSystem fs, Path path, Spec spec, Configuration conf) throws IOException {
        schema = MessageTypeParser.parseMessageType(spec.messageType);
        // the properties ParquetOutputFormat builds from the Hadoop configuration
        ParquetProperties.Builder b = ParquetProperties.builder()
                .withPageSize(ParquetOutputFormat.getPageSize(conf))
                .withDictionaryPageSize(ParquetOutputFormat.getDictionaryPageSize(conf))
                .withDictionaryEncoding(ParquetOutputFormat.getEnableDictionary(conf))
                .withWriterVersion(ParquetOutputFormat.getWriterVersion(conf))
                .estimateRowCountForPageSizeCheck(ParquetOutputFormat.getEstimatePageSizeCheck(conf))
                .withMinRowCountForPageSizeCheck(ParquetOutputFormat.getMinRowCountForPageSizeCheck(conf))
                .withMaxRowCountForPageSizeCheck(ParquetOutputFormat.getMaxRowCountForPageSizeCheck(conf))
                .withPageRowCountLimit(conf.getInt(ParquetOutputFormat.PAGE_ROW_COUNT_LIMIT,
                        ParquetProperties.DEFAULT_PAGE_ROW_COUNT_LIMIT))
                .withPageWriteChecksumEnabled(ParquetOutputFormat.getPageWriteChecksumEnabled(conf))
                .withColumnIndexTruncateLength(conf.getInt(ParquetOutputFormat.COLUMN_INDEX_TRUNCATE_LENGTH,
                        ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH))
                .withStatisticsTruncateLength(conf.getInt(ParquetOutputFormat.STATISTICS_TRUNCATE_LENGTH,
                        ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH));
        for (String c : spec.noDictionary) {
            b.withDictionaryEncoding(c, false);
        }
        // parquet-mr's default values-writer factory hands every file's writers to one shared factory, which keeps
        // the properties it was last initialized with: files with other column settings (this task's other outputs,
        // or another task's) would get their dictionary settings. A factory of this file's own.
        boolean v1 = ParquetOutputFormat.getWriterVersion(conf) == ParquetProperties.WriterVersion.PARQUET_1_0;
        b.withValuesWriterFactory(v1 ? new DefaultV1ValuesWriterFactory() : new DefaultV2ValuesWriterFactory());
        props = b.build();
        rowGroupSize = ParquetOutputFormat.getLongBlockSize(conf);
        nextRowGroupSize = rowGroupSize;
        metadata = spec.metadata;
        descriptors = schema.getColumns().toArray(new ColumnDescriptor[0]);
        definition = new int[descriptors.length];
        for (int i = 0; i < descriptors.length; i++) {
            if (descriptors[i].getMaxRepetitionLevel() != 0 || descriptors[i].getPath().length != 1) {
                throw new IllegalArgumentException("not a flat schema: " + schema);
            }
            definition[i] = descriptors[i].getMaxDefinitionLevel();
        }
        columns = new ColumnWriter[descriptors.length];
        file = new ParquetFileWriter(outputFile(fs, path), schema, ParquetFileWriter.Mode.OVERWRITE, rowGroupSize,
                conf.getInt(ParquetOutputFormat.MAX_PADDING_BYTES, ParquetWriterDefaults.MAX_PADDING),
                props.getColumnIndexTruncateLength(), props.getStatisticsTruncateLength(),
                props.getPageWriteChecksumEnabled());
        // the constructor opened the file: closed again if the rest fails (e.g. a codec without its native library)
        CodecFactory cf = null;
        try {
            file.start();
            cf = new CodecFactory(conf, props.getPageSizeThreshold());
            compressor = cf.getCompressor(spec.codec());
            codecs = cf;
            newRowGroup();
        } catch (IOException | RuntimeException | Error e) {
            if (cf != null) {
                cf.release();
            }
            closeStream();
            throw e;
        }
    }

    private static final Set<String> BLOCK_FS_SCHEMES = Set.of("hdfs", "webhdfs", "viewfs");

    private static final class ParquetWriterDefaults {
        static final int MAX_PADDING = 8 * 1024 * 1024;
    }

    /** The file's stream, once opened (closed by {@link #abort} when the footer is never written). */
    private PositionOutputStream stream;

    private OutputFile outputFile(FileSystem fs, Path path) {
        return new OutputFile() {
            @Override
            public PositionOutputStream create(long blockSizeHint) throws IOException {
                return open(false, blockSizeHint);
            }

            @Override
            public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
                return open(true, blockSizeHint);
            }

            private PositionOutputStream open(boolean overwrite, long blockSizeHint) throws IOException {
                stream = HadoopStreams.wrap(fs.create(path, overwrite, 4096, fs.getDefaultReplication(path),
                        Math.max(fs.getDefaultBlockSize(path), blockSizeHint)));
                return stream;
            }

            @Override
            public boolean supportsBlockSize() {
                // as parquet-mr's HadoopOutputFile: row groups padded to blocks only on block file systems
                return BLOCK_FS_SCHEMES.contains(fs.getUri().getScheme());
            }

            @Override
            public long defaultBlockSize() {
                return fs.getDefaultBlockSize(path);
            }
        };
    }

    private void newRowGroup() {
        pages = new ColumnChunkPageWriteStore(compressor, schema, HeapByteBufferAllocator.getInstance(),
                props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
        store = props.newColumnWriteStore(schema, pages, pages);
        for (int i = 0; i < descriptors.length; i++) {
            columns[i] = store.getColumnWriter(descriptors[i]);
        }
        rowsInGroup = 0;
        rowsForNextCheck = props.getMinRowCountForPageSizeCheck();
    }

    void int32(int column, int v) {
        columns[column].write(v, 0, definition[column]);
    }

    void int64(int column, long v) {
        columns[column].write(v, 0, definition[column]);
    }

    void float64(int column, double v) {
        columns[column].write(v, 0, definition[column]);
    }

    void bool(int column, boolean v) {
        columns[column].write(v, 0, definition[column]);
    }

    /** A binary or string value; the bytes must not change while the file is open (a dictionary may keep them). */
    void binary(int column, Binary v) {
        columns[column].write(v, 0, definition[column]);
    }

    // parquet-mr's store checks its pages' sizes at the row count it set at its last check; read, where accessible,
    // to write column by column up to that row (see rowsBeforeCheck)
    private static final java.lang.reflect.Field STORE_ROWS;
    private static final java.lang.reflect.Field STORE_NEXT_CHECK;

    static {
        java.lang.reflect.Field rows = null;
        java.lang.reflect.Field next = null;
        try {
            Class<?> base = Class.forName("org.apache.parquet.column.impl.ColumnWriteStoreBase");
            rows = base.getDeclaredField("rowCount");
            next = base.getDeclaredField("rowCountForNextSizeCheck");
            rows.setAccessible(true);
            next.setAccessible(true);
            if (rows.getType() != long.class || next.getType() != long.class) {
                rows = null;
                next = null;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            rows = null;
            next = null;
        }
        STORE_ROWS = rows;
        STORE_NEXT_CHECK = next;
    }

    /**
     * How many of the next {@code max} rows (at least 1) can be written column by column, each column's values in a
     * run, before {@link #endRows}: the rows up to the next point where parquet-mr's store or this file checks sizes
     * (a page or row group is cut there, from what the columns hold), so that the pages and row groups are those of
     * writing row by row. 1 when the store's next check cannot be read: row by row.
     */
    int rowsBeforeCheck(int max) {
        long k = Math.min(max, rowsForNextCheck - rowsInGroup);
        if (STORE_ROWS == null || !STORE_ROWS.getDeclaringClass().isInstance(store)) {
            return 1;
        }
        try {
            k = Math.min(k, STORE_NEXT_CHECK.getLong(store) - STORE_ROWS.getLong(store));
        } catch (IllegalAccessException e) {
            return 1;
        }
        return (int) Math.max(1, k);
    }

    /** Ends {@code k} rows whose every column was written ({@code k} from {@link #rowsBeforeCheck}). */
    void endRows(int k) throws IOException {
        for (int i = 1; i < k; i++) {
            store.endRecord();  // no check before the last row: k is at most the rows to the next one
        }
        rows += k - 1;
        rowsInGroup += k - 1;
        endRow();
    }

    /** {@code k} times the same binary value. */
    void binaries(int column, Binary v, int k) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = 0; i < k; i++) {
            c.write(v, 0, d);
        }
    }

    /** {@code byCode[codes[i]]} for {@code i} in {@code [from, to)}. */
    void binaries(int column, Binary[] byCode, byte[] codes, int from, int to) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = from; i < to; i++) {
            c.write(byCode[codes[i]], 0, d);
        }
    }

    /** {@code k} times the same int. */
    void int32s(int column, int v, int k) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = 0; i < k; i++) {
            c.write(v, 0, d);
        }
    }

    /** The ints {@code from, from + 1, ..., to - 1}. */
    void int32Range(int column, int from, int to) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = from; i < to; i++) {
            c.write(i, 0, d);
        }
    }

    void int32s(int column, int[] v, int from, int to) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = from; i < to; i++) {
            c.write(v[i], 0, d);
        }
    }

    void int64s(int column, long[] v, int from, int to) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = from; i < to; i++) {
            c.write(v[i], 0, d);
        }
    }

    void float64s(int column, double[] v, int from, int to) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = from; i < to; i++) {
            c.write(v[i], 0, d);
        }
    }

    void bools(int column, boolean[] v, int from, int to) {
        ColumnWriter c = columns[column];
        int d = definition[column];
        for (int i = from; i < to; i++) {
            c.write(v[i], 0, d);
        }
    }

    /** Ends the row whose every column was written; flushes the row group when it reaches the block size. */
    void endRow() throws IOException {
        store.endRecord();
        rows++;
        if (++rowsInGroup >= rowsForNextCheck) {
            // as parquet-mr's record writer: measure every so many rows, flush within about two rows of the size
            long size = store.getBufferedSize();
            long rowSize = size / rowsInGroup;
            if (size > nextRowGroupSize - 2 * rowSize) {
                flushRowGroup();
                newRowGroup();
                // parquet-mr takes half the rows of the new (empty) group here: the minimum
                rowsForNextCheck = Math.min(Math.max(props.getMinRowCountForPageSizeCheck(), rowsInGroup / 2),
                        props.getMaxRowCountForPageSizeCheck());
            } else {
                rowsForNextCheck = Math.min(
                        Math.max(props.getMinRowCountForPageSizeCheck(),
                                (rowsInGroup + (long) (nextRowGroupSize / (float) rowSize)) / 2),
                        rowsInGroup + props.getMaxRowCountForPageSizeCheck());
            }
        }
    }

    /** Rows written so far. */
    long rows() {
        return rows;
    }

    private void flushRowGroup() throws IOException {
        if (rowsInGroup > 0) {
            file.startBlock(rowsInGroup);
            store.flush();
            pages.flushToFileWriter(file);
            file.endBlock();
            nextRowGroupSize = Math.min(file.getNextRowGroupSize(), rowGroupSize);
        }
        store.close();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        boolean ended = false;
        try {
            flushRowGroup();
            file.end(metadata);  // closes the stream
            ended = true;
        } finally {
            codecs.release();
            if (!ended) {
                closeStream();
            }
        }
    }

    /** Closes after a failure: releases what can be released, without writing the footer. */
    void abort() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            store.close();
        } catch (RuntimeException ignored) {
            // already failing
        }
        codecs.release();
        closeStream();
    }

    private void closeStream() {
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }
}
