package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.PrepareConfig;
import io.tsforge.core.AssembledSeries;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.Segment;
import io.tsforge.core.SplitLabel;
import io.tsforge.core.StatsAccumulator;
import io.tsforge.jobs.PrepareJob;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PreparedWriter} (one job, files written through parquet-mr's column writers) against the Spark writes it
 * replaces ({@link PrepareJob#writeWithSpark}): the same rows in {@code series/}, {@code segments/} and
 * {@code windows/}, the same part files per folder (partition 0 writing one even when empty, other empty partitions
 * none) with the same bytes before the footer, the same Parquet schemas, row groups and footer metadata,
 * {@code _SUCCESS} files, and no file left behind by a failed task.
 */
class PreparedWriterTest {

    @TempDir
    Path tmp;

    final SparkSession spark = SparkTestSession.get();

    private static final long T0 = 1_704_067_200_000L;  // 2024-01-01T00:00Z

    /**
     * A segment of {@code n} five-minute steps with train, validation and test steps, some filled, one -0.0; the
     * second feature takes few values (its normalized column is written without a dictionary only as configured).
     */
    private static Segment segment(String id, int index, long start, int n, double level) {
        double[][] v = new double[2][n];
        boolean[] filled = new boolean[n];
        int[] rows = new int[n];
        for (int t = 0; t < n; t++) {
            v[0][t] = level + Math.sin(t * 0.7) * 3 + t * 0.01;
            // few distinct values: a dictionary pays for this feature, raw and normalized
            v[1][t] = t == 3 ? -0.0 : -level + Math.round(Math.cos(t * 1.3) * 4) / 4.0;
            filled[t] = t % 11 == 5;
            rows[t] = filled[t] ? 0 : 1 + t % 3;
        }
        Segment s = new Segment(id, index, start, 300_000L, v, filled, rows);
        s.split = new byte[n];
        for (int t = 0; t < n; t++) {
            s.split[t] = (t < n * 0.6 ? SplitLabel.TRAIN : t < n * 0.8 ? SplitLabel.VALIDATION : SplitLabel.TEST)
                    .code();
        }
        return s;
    }

    static List<AssembledSeries> series() {
        List<AssembledSeries> out = new ArrayList<>();
        out.add(new AssembledSeries("a", List.of(segment("a", 0, T0, 120, 10),
                segment("a", 1, T0 + 86_400_000L, 90, 11)), 210, 2, 1, 1, 1, 0));
        out.add(new AssembledSeries("é-b", List.of(segment("é-b", 0, T0, 200, 5)), 200, 0, 0, 0, 0, 0));
        out.add(new AssembledSeries("c", List.of(segment("c", 0, T0, 4, 7)), 4, 1, 0, 0, 0, 1));
        // long enough for several pages and, with small blocks, row groups
        out.add(new AssembledSeries("d", List.of(segment("d", 0, T0, 30_000, 3)), 30_000, 0, 0, 0, 0, 0));
        return out;
    }

    PrepareConfig config() {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", tmp.resolve("unused.csv").toString());
        m.put("input.idColumn", "id");
        m.put("input.timeColumn", "ts");
        m.put("input.valueColumns", "x,y");
        m.put("series.frequency", "5min");
        m.put("window.lookback", "12");
        m.put("window.horizon", "4");
        m.put("window.stride", "3");
        m.put("output.dir", tmp.resolve("out").toString());
        return PrepareConfig.from(Config.of(m));
    }

    /** Statistics, counts and the fitted normalizer of the series, as the job's statistics pass gives them. */
    static PrepareFunctions.SeriesCounts counts(List<AssembledSeries> all, PrepareConfig cfg,
                                                Map<String, StatsAccumulator> stats) {
        PrepareFunctions.SeriesCounts counts = new PrepareFunctions.SeriesCounts();
        PrepareFunctions.summarize(all.iterator(), cfg.normalization(), cfg.window()).forEachRemaining(p -> {
            p.stats.forEach((id, acc) -> stats.merge(id, acc, StatsAccumulator::merge));
            counts.add(p.counts);
        });
        return counts;
    }

    /**
     * The part file names of a folder with the write id replaced, and the other names, sorted; without checksum side
     * files, which the file system instance writes or not (prepare turns them off on the driver's before it writes).
     */
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString().replaceAll("-[0-9a-f-]{36}-", "-ID-"))
                    .filter(n -> !n.endsWith(".crc")).sorted().toList();
        }
    }

    static void sameRows(Dataset<Row> a, Dataset<Row> b, String what) {
        assertEquals(a.count(), b.count(), what);
        assertTrue(a.count() > 0, what);
        assertEquals(0, a.exceptAll(b).count(), what);
        assertEquals(0, b.exceptAll(a).count(), what);
        assertEquals(a.schema(), b.schema(), what);
    }

    static FileMetaData footer(Path file) throws IOException {
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
            return r.getFooter().getFileMetaData();
        }
    }

    /** The file of a folder whose name, write id replaced, is {@code name}. */
    static Path only(Path dir, String name) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().replaceAll("-[0-9a-f-]{36}-", "-ID-").equals(name))
                    .findFirst().orElseThrow();
        }
    }

    static Path firstPart(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("part-00000")).findFirst().orElseThrow();
        }
    }

    /**
     * The file's bytes before its footer (data and dictionary pages, column and offset indexes), and the footer's
     * row groups: rows, and per column chunk its offsets, sizes, value count and encodings as a set (their order in
     * the footer comes from a hash set: it differs between two runs of Spark's own writer).
     */
    static void samePages(Path a, Path b) throws IOException {
        byte[] x = Files.readAllBytes(a);
        byte[] y = Files.readAllBytes(b);
        assertEquals(x.length, y.length, a + " / " + b);
        int footer = java.nio.ByteBuffer.wrap(x, x.length - 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        assertArrayEquals(java.util.Arrays.copyOf(x, x.length - 8 - footer),
                java.util.Arrays.copyOf(y, y.length - 8 - footer), a + " / " + b);
        List<String> ma = new ArrayList<>();
        List<String> mb = new ArrayList<>();
        for (List<String> m : List.of(ma, mb)) {
            Path f = m == ma ? a : b;
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                    new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
                for (BlockMetaData block : r.getFooter().getBlocks()) {
                    m.add("rows " + block.getRowCount());
                    for (ColumnChunkMetaData c : block.getColumns()) {
                        m.add(c.getPath() + " " + c.getFirstDataPageOffset() + " " + c.getDictionaryPageOffset() + " "
                                + c.getTotalSize() + " " + c.getValueCount() + " " + new TreeSet<>(c.getEncodings()));
                    }
                }
            }
        }
        assertEquals(ma, mb, a + " / " + b);
    }

    @Test
    void sameFilesAndRowsAsSparksWrites() throws IOException {
        sameFilesAndRows("");
    }

    /** Small pages and row groups: several of each per file, cut where Spark's writer cuts them. */
    @Test
    void sameFilesWithSmallPagesAndRowGroups() throws IOException {
        String[] keys = {"parquet.block.size", "parquet.page.size", "parquet.page.row.count.limit"};
        String[] values = {"200000", "8192", "3000"};
        try {
            for (int i = 0; i < keys.length; i++) {
                spark.conf().set(keys[i], values[i]);
            }
            sameFilesAndRows("small-");
        } finally {
            for (String k : keys) {
                spark.conf().unset(k);
            }
        }
    }

    /** Spark's alias lz4raw (parquet-mr's LZ4_RAW, named .lz4raw.parquet), which parquet-mr's own lookup rejects. */
    @Test
    void sameFilesWithTheLz4RawCodec() throws IOException {
        spark.conf().set("spark.sql.parquet.compression.codec", "lz4raw");
        try {
            sameFilesAndRows("lz4raw-");
        } finally {
            spark.conf().unset("spark.sql.parquet.compression.codec");
        }
        assertEquals(CompressionCodecName.LZ4_RAW, ParquetColumns.codecOf("lz4_raw"));
        assertEquals(CompressionCodecName.UNCOMPRESSED, ParquetColumns.codecOf("none"));
        assertEquals(CompressionCodecName.UNCOMPRESSED, ParquetColumns.codecOf("Uncompressed"));
        assertEquals(CompressionCodecName.ZSTD, ParquetColumns.codecOf("zstd"));
    }

    void sameFilesAndRows(String prefix) throws IOException {
        PrepareConfig cfg = config();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<AssembledSeries> all = series();
        Map<String, StatsAccumulator> stats = new TreeMap<>();
        PrepareFunctions.SeriesCounts counts = counts(all, cfg, stats);
        Normalizer normalizer = Normalizer.fit(Normalization.ZSCORE, List.of("x", "y"), stats);
        Broadcast<Normalizer> bn = jsc.broadcast(normalizer);
        // 2 partitions (a, é-b | c, d), and 5 with partition 0 empty (- | a | é-b | c | d)
        for (int partitions : new int[]{2, 5}) {
            JavaRDD<AssembledSeries> rdd = jsc.parallelize(all, partitions);
            String spark1 = tmp.resolve(prefix + "spark-" + partitions).toString();
            String ours = tmp.resolve(prefix + "ours-" + partitions).toString();
            PrepareJob.writeWithSpark(spark, rdd, bn, cfg, counts, spark1, true);
            PreparedWriter.Rows rows = PreparedWriter.write(spark, rdd, bn, cfg.window(), List.of("x", "y"), ours,
                    true, counts.windows);
            PrepareJob.checkWritten(rows, counts, true);
            assertEquals(30_414, rows.series);
            for (String d : List.of("series", "segments", "windows/split=train", "windows/split=validation",
                    "windows/split=test", "windows")) {
                List<String> expected = names(Path.of(spark1, d));
                assertEquals(expected, names(Path.of(ours, d)), d);
                assertTrue(expected.contains("_SUCCESS"), d);
                if (!d.equals("windows")) {
                    // partition 0 writes a file in every folder, even without rows (empty with 5 partitions); series
                    // c (partition 3 of 5) has steps and a segment but no window
                    boolean windowsDir = d.startsWith("windows/");
                    assertEquals(partitions == 2 ? 2 : windowsDir ? 4 : 5, expected.size() - 1, d + ": " + expected);
                    String first = "part-00000-ID-c000" + ParquetColumns.codecOf(
                            spark.conf().get("spark.sql.parquet.compression.codec")).getExtension() + ".parquet";
                    assertTrue(expected.contains(first), d + ": " + expected);
                    FileMetaData a = footer(firstPart(Path.of(spark1, d)));
                    FileMetaData b = footer(firstPart(Path.of(ours, d)));
                    assertEquals(a.getSchema(), b.getSchema(), d);
                    assertEquals(a.getKeyValueMetaData(), b.getKeyValueMetaData(), d);
                    for (String part : expected) {
                        if (part.startsWith("part-")) {
                            samePages(only(Path.of(spark1, d), part), only(Path.of(ours, d), part));
                        }
                    }
                }
            }
            for (String d : List.of("series", "segments", "windows")) {
                sameRows(spark.read().parquet(spark1 + "/" + d), spark.read().parquet(ours + "/" + d), d);
            }
            // written again over the first: the same rows, nothing left of the first write
            PreparedWriter.write(spark, rdd, bn, cfg.window(), List.of("x", "y"), ours, true, counts.windows);
            assertEquals(names(Path.of(spark1, "series")), names(Path.of(ours, "series")));
            sameRows(spark.read().parquet(spark1 + "/series"), spark.read().parquet(ours + "/series"), "again");
        }
    }

    /** The series of a partition, failing when series "c" is reached. */
    static Iterator<AssembledSeries> failAtC(Iterator<AssembledSeries> it) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public AssembledSeries next() {
                AssembledSeries s = it.next();
                if (s.seriesId().equals("c")) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IllegalStateException("injected failure");
                }
                return s;
            }
        };
    }

    @Test
    void aFailedTaskLeavesNoFileBehind() throws IOException {
        PrepareConfig cfg = config();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<AssembledSeries> all = series();
        Map<String, StatsAccumulator> stats = new TreeMap<>();
        PrepareFunctions.SeriesCounts counts = counts(all, cfg, stats);
        Broadcast<Normalizer> bn = jsc.broadcast(Normalizer.fit(Normalization.ZSCORE, List.of("x", "y"), stats));
        // 4 partitions (a | é-b | c | d): the task of c fails a second after its first series, by when the other
        // tasks have written and committed their files
        JavaRDD<AssembledSeries> failing = jsc.parallelize(all, 4).mapPartitions(PreparedWriterTest::failAtC);
        String out = tmp.resolve("failed").toString();
        Exception e = assertThrows(Exception.class, () -> PreparedWriter.write(spark, failing, bn, cfg.window(),
                List.of("x", "y"), out, true, counts.windows));
        assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.toString());
        TreeSet<String> left = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of(out))) {
            files.filter(Files::isRegularFile).forEach(p -> left.add(Path.of(out).relativize(p).toString()));
        }
        // no part file of the failed job in the folders, nothing left in their staging folders, no _SUCCESS
        assertTrue(left.stream().noneMatch(n -> n.contains("part-") || n.contains("_temporary")), left.toString());
        assertFalse(left.stream().anyMatch(n -> n.endsWith("_SUCCESS")), left.toString());
    }

    /**
     * A task's file goes to its part file name unless another attempt of the task put one there: that one is kept
     * (the same rows), this attempt's copy removed.
     */
    @Test
    void anotherAttemptsCommittedFileIsKept() throws IOException {
        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(
                spark.sparkContext().hadoopConfiguration());
        Path dir = Files.createDirectories(tmp.resolve("commit"));
        Path first = Files.writeString(dir.resolve(".part-00001.1.inprogress"), "first attempt");
        Path second = Files.writeString(dir.resolve(".part-00001.2.inprogress"), "second attempt");
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir.resolve("part-00001").toUri());
        PreparedWriter.commitFile(fs, new org.apache.hadoop.fs.Path(first.toUri()), target);
        PreparedWriter.commitFile(fs, new org.apache.hadoop.fs.Path(second.toUri()), target);
        assertEquals("first attempt", Files.readString(dir.resolve("part-00001")));
        assertFalse(Files.exists(first));
        assertFalse(Files.exists(second), "the later attempt's copy removed");
    }

    @Test
    void settingsThisWriterDoesNotApplyGoThroughSpark() {
        assertTrue(PrepareJob.directParquet(spark, T0));
        for (String[] kv : new String[][]{{"parquet.bloom.filter.enabled", "true"},
                {"parquet.enable.dictionary#x", "false"}, {"parquet.summary.metadata.level", "ALL"},
                {"spark.sql.sources.commitProtocolClass", "org.example.Protocol"},
                {"spark.sql.parquet.output.committer.class", "org.example.Committer"},
                {"spark.sql.parquet.int96RebaseModeInWrite", "LEGACY"}}) {
            spark.conf().set(kv[0], kv[1]);
            try {
                assertFalse(PrepareJob.directParquet(spark, T0), kv[0]);
                assertTrue(PreparedWriter.unsupported(spark).contains(kv[0]), PreparedWriter.unsupported(spark));
            } finally {
                spark.conf().unset(kv[0]);
            }
        }
        spark.conf().set("parquet.block.size", "1048576");
        try {
            assertTrue(PrepareJob.directParquet(spark, T0), "a setting it applies");
        } finally {
            spark.conf().unset("parquet.block.size");
        }
        assertTrue(PrepareJob.directParquet(spark, T0));
    }

    @Test
    void timestampsSparkWouldRebaseOrRejectGoThroughSpark() {
        String key = "spark.sql.parquet.datetimeRebaseModeInWrite";
        String before = spark.conf().get(key);
        long y1899 = -2_208_988_800_001L;
        try {
            spark.conf().set(key, "EXCEPTION");
            assertTrue(PrepareJob.directParquet(spark, T0));
            assertTrue(PrepareJob.directParquet(spark, -2_208_988_800_000L), "1900-01-01T00:00Z itself");
            assertTrue(PrepareJob.directParquet(spark, Long.MAX_VALUE), "no segment at all");
            assertFalse(PrepareJob.directParquet(spark, y1899), "Spark fails on it: its writer must");
            spark.conf().set(key, "CORRECTED");
            assertTrue(PrepareJob.directParquet(spark, y1899));
            spark.conf().set(key, "LEGACY");
            assertFalse(PrepareJob.directParquet(spark, T0), "Spark rebases: its writer must");
        } finally {
            spark.conf().set(key, before);
        }
    }
}
