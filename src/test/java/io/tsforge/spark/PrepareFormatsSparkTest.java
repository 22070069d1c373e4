package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.PrepareConfig;
import io.tsforge.io.NormalizerJson;
import io.tsforge.io.Storage;
import io.tsforge.jobs.PrepareJob;
import io.tsforge.jobs.RunReport;
import io.tsforge.core.Normalizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small hand-made inputs in every format, with the edges: corrupt lines, typed columns, short and constant series. */
class PrepareFormatsSparkTest {

    @TempDir
    Path tmp;

    final SparkSession spark = SparkTestSession.get();

    Map<String, String> base(String path, String format) {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", path);
        m.put("input.format", format);
        m.put("input.idColumn", "id");
        m.put("input.timeColumn", "ts");
        m.put("input.valueColumns", "v");
        m.put("series.frequency", "1h");
        m.put("window.lookback", "4");
        m.put("window.horizon", "2");
        m.put("output.dir", tmp.resolve("out").toString());
        return m;
    }

    RunReport run(Map<String, String> m) {
        RunReport r = new RunReport("prepare");
        PrepareJob.run(spark, PrepareConfig.from(Config.of(m)), r);
        r.endStage();
        return r;
    }

    static String hour(int h) {
        return String.format("2024-01-01T%02d:00:00Z", h % 24).replace("2024-01-01", "2024-01-0" + (1 + h / 24));
    }

    @Test
    void jsonLinesWithACorruptLineAndEpochTimes() throws IOException {
        List<String> lines = new ArrayList<>();
        long t0 = 1_704_067_200L; // 2024-01-01T00:00:00Z
        for (int h = 0; h < 20; h++) {
            lines.add("{\"id\":\"a\",\"ts\":" + (t0 + h * 3600) + ",\"v\":" + h + "}");
        }
        lines.add("{\"id\":\"a\",\"ts\":" + t0 + ",\"v\":99}");       // duplicate of the first, later: wins (last)
        lines.add("{\"id\":\"a\",\"ts\":\"soon\",\"v\":1}");           // bad timestamp
        lines.add("{not json at all");                                  // corrupt line
        Path f = tmp.resolve("in.jsonl");
        Files.write(f, lines);
        RunReport r = run(base(f.toString(), "json"));
        assertEquals(23L, r.count("rows_in"));
        assertEquals(20L, r.count("rows_used"));
        assertEquals(1L, r.count("rows_duplicate"));
        assertEquals(Map.of("bad_timestamp", 1L, "malformed_line", 1L), r.count("quarantine_by_reason"));
        Row first = spark.read().parquet(tmp.resolve("out/prepared/series").toString()).orderBy("timestamp").first();
        assertEquals(99.0, (double) first.getAs("v"), 0.0, "series.duplicates=last keeps the later reading");
    }

    /**
     * Duplicates across two CSV files resolve in input order, file name first: the larger file b.csv is Spark's first
     * partition (splits are sorted by size), so its row ids sort before a.csv's and only the file rank puts a.csv
     * first.
     */
    @Test
    void csvDuplicatesAcrossFilesFollowTheFileOrder() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("in"));
        long t0 = 1_704_067_200L;
        List<String> a = new ArrayList<>(List.of("id,ts,v"));
        a.add("s," + t0 + ",1.5");
        a.add("s," + t0 + ",2.5");                        // within a.csv: later than 1.5
        List<String> b = new ArrayList<>(List.of("id,ts,v"));
        for (int h = 1; h < 40; h++) {
            b.add("s," + (t0 + h * 3600) + "," + h);
        }
        b.add("s," + t0 + ",7.5");                        // b.csv comes after a.csv: the last reading of t0
        Files.write(dir.resolve("a.csv"), a);
        Files.write(dir.resolve("b.csv"), b);
        for (String[] expect : new String[][]{{"first", "1.5"}, {"last", "7.5"}}) {
            Map<String, String> m = base(dir.toString(), "csv");
            m.put("series.duplicates", expect[0]);
            m.put("output.dir", tmp.resolve("out-" + expect[0]).toString());
            RunReport r = run(m);
            assertEquals(42L, r.count("rows_in"));
            assertEquals(2L, r.count("rows_duplicate"));
            Row first = spark.read().parquet(tmp.resolve("out-" + expect[0] + "/prepared/series").toString())
                    .orderBy("timestamp").first();
            assertEquals(Double.parseDouble(expect[1]), (double) first.getAs("v"), 0.0,
                    "series.duplicates=" + expect[0]);
        }
    }

    @Test
    void parquetWithTypedColumnsMeanDuplicatesAndAConstantSeries() {
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("id", DataTypes.StringType, true),
                DataTypes.createStructField("ts", DataTypes.TimestampType, true),
                DataTypes.createStructField("v", DataTypes.DoubleType, true)));
        List<Row> rows = new ArrayList<>();
        for (int h = 0; h < 30; h++) {
            Timestamp ts = new Timestamp(1_704_067_200_000L + h * 3_600_000L);
            rows.add(RowFactory.create("flat", ts, 5.0));
            rows.add(RowFactory.create("ramp", ts, (double) h));
        }
        rows.add(RowFactory.create("ramp", new Timestamp(1_704_067_200_000L), 3.0)); // mean with 0.0 -> 1.5
        rows.add(RowFactory.create("ramp", new Timestamp(1_704_067_200_000L), Double.NaN));
        rows.add(RowFactory.create(null, new Timestamp(1_704_067_200_000L), 1.0));
        String path = tmp.resolve("in.parquet").toString();
        spark.createDataFrame(rows, schema).repartition(3).write().parquet(path);
        Map<String, String> m = base(path, "parquet");
        m.put("series.duplicates", "mean");
        RunReport r = run(m);
        assertEquals(63L, r.count("rows_in"));
        assertEquals(Map.of("non_finite", 1L, "missing_series_id", 1L), r.count("quarantine_by_reason"));
        assertEquals(1L, r.count("rows_duplicate"));
        Dataset<Row> series = spark.read().parquet(tmp.resolve("out/prepared/series").toString());
        Row ramp0 = series.filter(col("series_id").equalTo("ramp")).orderBy("timestamp").first();
        assertEquals(1.5, (double) ramp0.getAs("v"), 1e-12);
        for (Row flat : series.filter(col("series_id").equalTo("flat")).collectAsList()) {
            assertEquals(0.0, (double) flat.getAs("v_norm"), 0.0, "a constant series normalizes to 0, not NaN");
        }
        Normalizer n = NormalizerJson.fromJson(Storage.local().readJson(tmp.resolve("out/prepared/"
                + PreparedLayout.STATS).toString()));
        assertTrue(n.scaleFor("flat").constant()[0]);
        assertEquals(1.0, n.scaleFor("flat").scale()[0]);
    }

    @Test
    void shortSeriesAreSkippedOrPaddedAsConfigured() throws IOException {
        List<String> lines = new ArrayList<>(List.of("id,ts,v"));
        for (int h = 0; h < 40; h++) {
            lines.add("long," + hour(h) + "," + Math.sin(h));
        }
        for (int h = 0; h < 5; h++) { // shorter than lookback + horizon = 6
            lines.add("short," + hour(h) + "," + h);
        }
        Path f = tmp.resolve("in.csv");
        Files.write(f, lines);
        Map<String, String> m = base(f.toString(), "csv");
        m.put("split.trainFraction", "1.0");
        m.put("split.validationFraction", "0.0");
        RunReport skip = run(m);
        @SuppressWarnings("unchecked")
        Map<String, Long> skipped = (Map<String, Long>) skip.count("windows_skipped");
        assertEquals(1L, skipped.get("series_without_windows"));
        assertEquals(1L, skipped.get("segments_too_short"));
        assertEquals(Map.of("train", 35L, "validation", 0L, "test", 0L), skip.count("windows"));

        m.put("window.shortHistory", "pad");
        m.put("window.minHistory", "2");
        RunReport pad = run(m);
        // long: origins 1..37 = 37 windows (2 padded more than before: histories 2 and 3); short: origins 1..2
        assertEquals(Map.of("train", 39L, "validation", 0L, "test", 0L), pad.count("windows"));
        assertEquals(4L, pad.count("windows_padded"));
        List<Row> shortWindows = spark.read().parquet(tmp.resolve("out/prepared/windows").toString())
                .filter(col("series_id").equalTo("short")).orderBy("origin").collectAsList();
        assertEquals(List.of(2, 3), shortWindows.stream().map(w -> (Integer) w.getAs("history")).toList());
    }

    /** Every file under a folder (write ids replaced, no checksum files), sorted. */
    static List<String> files(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()
                            .replaceAll("-[0-9a-f-]{36}-", "-ID-"))
                    .filter(n -> !n.endsWith(".crc") && !n.equals("_summary.json")).sorted().toList();
        }
    }

    /**
     * prepare's outputs as the direct writer leaves them and as Spark's writers leave them (forced by a Parquet
     * setting the direct writer leaves to Spark, one that changes nothing in Spark's files): the same files and rows.
     */
    void sameOutputsAsSparksWriters(Map<String, String> m) throws IOException {
        Path direct = tmp.resolve("direct");
        Path viaSpark = tmp.resolve("spark");
        m.put("output.dir", direct.toString());
        run(m);
        m.put("output.dir", viaSpark.toString());
        spark.conf().set("parquet.summary.metadata.level", "NONE");
        try {
            assertTrue(PreparedWriter.unsupported(spark) != null);
            run(m);
        } finally {
            spark.conf().unset("parquet.summary.metadata.level");
        }
        assertEquals(files(viaSpark.resolve("prepared")), files(direct.resolve("prepared")));
        for (String d : List.of("series", "segments", "windows")) {
            Path a = viaSpark.resolve("prepared").resolve(d);
            Path b = direct.resolve("prepared").resolve(d);
            if (files(a).stream().noneMatch(n -> n.contains("part-"))) {
                continue;  // windows/ of no window: no file for Spark to read a schema from (as before)
            }
            boolean csv = d.equals("series") && "csv".equals(m.get("output.format"));
            Dataset<Row> x = csv ? spark.read().option("header", "true").csv(a.toString())
                    : spark.read().parquet(a.toString());
            Dataset<Row> y = csv ? spark.read().option("header", "true").csv(b.toString())
                    : spark.read().parquet(b.toString());
            assertEquals(x.count(), y.count(), d);
            assertEquals(0, x.exceptAll(y).count(), d);
            assertEquals(0, y.exceptAll(x).count(), d);
        }
    }

    @Test
    void theDirectWriterLeavesWhatSparksWritersLeave() throws IOException {
        List<String> lines = new ArrayList<>(List.of("id,ts,v"));
        for (int h = 0; h < 40; h++) {
            lines.add("long," + hour(h) + "," + Math.sin(h));
        }
        for (int h = 0; h < 5; h++) {
            lines.add("short," + hour(h) + "," + h);
        }
        Path f = tmp.resolve("in.csv");
        Files.write(f, lines);
        Map<String, String> m = base(f.toString(), "csv");
        sameOutputsAsSparksWriters(m);
        m.put("output.format", "csv");
        sameOutputsAsSparksWriters(m);
        // no window at all: windows/ is the partitioned write of nothing, through Spark in both
        Files.write(f, lines.subList(0, 6));
        m.remove("output.format");
        sameOutputsAsSparksWriters(m);
        assertTrue(Files.exists(tmp.resolve("direct/prepared/windows/_SUCCESS")));
    }

    @Test
    void aSeriesWithoutTrainingRowsUsesGlobalStatistics() throws IOException {
        List<String> lines = new ArrayList<>(List.of("id,ts,v"));
        for (int h = 0; h < 48; h++) {
            lines.add("old," + hour(h) + "," + (10 + h % 3));
        }
        for (int h = 30; h < 48; h++) {
            lines.add("new," + hour(h) + "," + (20 + h % 5));
        }
        Path f = tmp.resolve("in.csv");
        Files.write(f, lines);
        Map<String, String> m = base(f.toString(), "csv");
        m.put("split.trainEnd", "2024-01-02T00:00:00Z");
        m.put("split.validationEnd", "2024-01-02T06:00:00Z");
        RunReport r = run(m);
        assertEquals(1L, r.count("series_on_global_statistics"));
        Normalizer n = NormalizerJson.fromJson(Storage.local().readJson(tmp.resolve("out/prepared/"
                + PreparedLayout.STATS).toString()));
        assertEquals(n.global(), n.scaleFor("new"));
        assertEquals(11.0, n.scaleFor("old").center()[0], 1e-12);
    }

    @Test
    void aCleanInputStillWritesAQuarantineFileWithItsHeader() throws IOException {
        List<String> lines = new ArrayList<>(List.of("id,ts,v"));
        for (int h = 0; h < 30; h++) {
            lines.add("a," + hour(h) + "," + h);
        }
        Path f = tmp.resolve("in.csv");
        Files.write(f, lines);
        RunReport r = run(base(f.toString(), "csv"));
        assertEquals(0L, r.count("rows_quarantined"));
        assertEquals(true, r.count("rows_balanced"));
        try (var files = Files.list(tmp.resolve("out/prepared/quarantine"))) {
            List<Path> parts = files.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
            assertEquals(1, parts.size());
            assertEquals(List.of("series_id,timestamp,v,reason,detail,source_file"), Files.readAllLines(parts.get(0)));
        }
    }

    @Test
    void quarantineRowsKeepInputOrderWhenTheFileIsSplitIntoManyPartitions() throws IOException {
        List<String> lines = new ArrayList<>(List.of("id,ts,v"));
        List<String> expected = new ArrayList<>();
        for (int h = 0; h < 120; h++) {
            if (h % 7 == 3) {
                lines.add("a," + hour(h) + ",bad" + h);
                expected.add("bad" + h);
            } else {
                lines.add("a," + hour(h) + "," + h);
            }
        }
        Path f = tmp.resolve("in.csv");
        Files.write(f, lines);
        String key = "spark.sql.files.maxPartitionBytes";
        String before = spark.conf().get(key);
        spark.conf().set(key, "256"); // about ten lines per partition
        try {
            RunReport r = run(base(f.toString(), "csv"));
            assertEquals(Map.of("bad_number", (long) expected.size()), r.count("quarantine_by_reason"));
        } finally {
            spark.conf().set(key, before);
        }
        List<String> quarantined = spark.read().option("header", "true")
                .csv(tmp.resolve("out/prepared/quarantine").toString()).collectAsList().stream()
                .map(row -> (String) row.getAs("v")).toList();
        assertEquals(expected, quarantined, "one file, in input order");
    }

    @Test
    void aMissingColumnIsNamedBeforeAnyWork() throws IOException {
        Path f = tmp.resolve("in.csv");
        Files.write(f, List.of("id,time,v", "a,2024-01-01 00:00:00,1"));
        ConfigException e = assertThrows(ConfigException.class, () -> run(base(f.toString(), "csv")));
        assertEquals("config key 'input.timeColumn': column 'ts' not found in the input; its columns are [id, time, v]",
                e.getMessage());
    }
}
