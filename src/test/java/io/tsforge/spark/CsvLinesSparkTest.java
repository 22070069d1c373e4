package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.PrepareConfig;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CsvLines#raw} against {@link RawInput#read} (Spark's CSV source) on awkward inputs: the same rows, fields,
 * malformed flags, file names and {@code _ord}, in the same order, also when the files are split across partitions.
 */
class CsvLinesSparkTest {

    @TempDir
    Path tmp;

    final SparkSession spark = SparkTestSession.get();

    static final String A = "id,ts,other,v\r\n"
            + "a,2024-01-01T00:00:00Z,x,1\r\n"
            + "\r\n"
            + "   \r\n"
            + "\"a\",\"2024-01-01T01:00:00Z\",\"q,uoted\",\"2\"\r\n"
            + "a,2024-01-01T02:00:00Z,\"say \\\"hi\\\"\",3\r\n"
            + "a,2024-01-01T03:00:00Z,,\r\n"
            + "a,2024-01-01T04:00:00Z\r\n"
            + "a,2024-01-01T05:00:00Z,x,5,extra\r\n"
            + ",2024-01-01T06:00:00Z,x,6\r\n"
            + "\u0000comment-like,2024-01-01T07:00:00Z,x,7\r\n"
            + " a ,2024-01-01T08:00:00Z, x , 8 \r\n"
            + "é,2024-01-01T09:00:00Z,ü,9\r\n"
            + "\"unclosed,2024-01-01T10:00:00Z,x,10\r\n"
            + "a,\"\",x,11\r\n"
            + "a,2024-01-01T12:00:00Z,x,12";

    static final String B = "\n\n  \nid,ts,other,v\nb,2024-01-01T00:00:00Z,x,1\nid,ts,other,v\n"
            + "b,2024-01-01T01:00:00Z,,2\n";

    static final String C = "id,ts,other,v\rc,2024-01-01T00:00:00Z,x,1\rc,2024-01-01T01:00:00Z,x,2\r";

    String values = "v";

    /** Whether {@link CsvLines} reads the file splits itself (else Spark's text rows). */
    boolean expectSplits = true;

    Map<String, String> config(String path, String delimiter) {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", path);
        m.put("input.idColumn", "id");
        m.put("input.timeColumn", "ts");
        m.put("input.valueColumns", values);
        m.put("input.csvDelimiter", delimiter);
        m.put("series.frequency", "1h");
        m.put("window.lookback", "2");
        m.put("window.horizon", "1");
        m.put("output.dir", tmp.resolve("out").toString());
        return m;
    }

    void assertSameRows(String path, String delimiter) {
        var in = PrepareConfig.from(Config.of(config(path, delimiter))).input();
        List<Row> spark1 = RawInput.read(spark, in).orderBy("_ord").collectAsList();
        CsvLines csv = CsvLines.open(spark, in);
        assertEquals(expectSplits, csv.readsSplits(), "the file splits read directly");
        List<Row> ours = csv.raw(spark).orderBy("_ord").collectAsList();
        assertTrue(spark1.size() > 0);
        assertEquals(spark1.size(), ours.size(), () -> "rows: Spark's " + spark1 + "\nours " + ours);
        for (int i = 0; i < spark1.size(); i++) {
            assertEquals(spark1.get(i), ours.get(i), "row " + i);
        }
    }

    Path write(String name, String text) throws IOException {
        Path d = tmp.resolve("in");
        Files.createDirectories(d);
        Path f = d.resolve(name);
        Files.write(f, text.getBytes(StandardCharsets.UTF_8));
        return f;
    }

    void withSplits(long maxPartitionBytes, Runnable r) {
        String k1 = "spark.sql.files.maxPartitionBytes";
        String k2 = "spark.sql.files.openCostInBytes";
        String b1 = spark.conf().get(k1);
        String b2 = spark.conf().get(k2);
        spark.conf().set(k1, Long.toString(maxPartitionBytes));
        spark.conf().set(k2, "1");
        try {
            r.run();
        } finally {
            spark.conf().set(k1, b1);
            spark.conf().set(k2, b2);
        }
    }

    @Test
    void sameRowsAsSparksCsvSourceOnSeveralFiles() throws IOException {
        write("a.csv", A);
        write("b.csv", B);
        write("c.csv", C);
        write("d.csv", "id,ts,other,v\n");
        String dir = tmp.resolve("in").toString();
        assertSameRows(dir, ",");
        // files split into many partitions: the header is dropped only in the split that starts its file
        for (long bytes : new long[]{16, 64}) {
            withSplits(bytes, () -> assertSameRows(dir, ","));
        }
    }

    @Test
    void sameRowsWhenEveryColumnIsReadAndTheFieldCountIsChecked() throws IOException {
        values = "other,v";
        write("a.csv", A);
        write("b.csv", B);
        write("c.csv", C);
        String dir = tmp.resolve("in").toString();
        assertSameRows(dir, ",");
        withSplits(37, () -> assertSameRows(dir, ","));
    }

    @Test
    void sameRowsThroughSparksTextRowsWhenCorruptFilesAreSkipped() throws IOException {
        write("a.csv", A);
        write("b.csv", B);
        String dir = tmp.resolve("in").toString();
        String key = "spark.sql.files.ignoreCorruptFiles";
        String before = spark.conf().get(key);
        spark.conf().set(key, "true");
        expectSplits = false;
        try {
            assertSameRows(dir, ",");
            withSplits(16, () -> assertSameRows(dir, ","));
        } finally {
            spark.conf().set(key, before);
        }
    }

    @Test
    void sameRowsFromGzipFiles() throws IOException {
        Path d = tmp.resolve("in");
        Files.createDirectories(d);
        for (String[] f : new String[][]{{"a.csv.gz", A}, {"b.csv.gz", B}}) {
            try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(d.resolve(f[0])))) {
                out.write(f[1].getBytes(StandardCharsets.UTF_8));
            }
        }
        assertSameRows(d.toString(), ",");
        withSplits(16, () -> assertSameRows(d.toString(), ","));
    }

    @Test
    void sameRowsWithOtherDelimiters() throws IOException {
        write("semi.csv", A.replace(',', ';'));
        assertSameRows(tmp.resolve("in/semi.csv").toString(), ";");
        Path tab = write("tab.tsv", A.replace(',', '\t'));
        assertSameRows(tab.toString(), "\\t");
        Path multi = write("multi.txt", A.replace(",", "||"));
        assertSameRows(multi.toString(), "||");
        withSplits(40, () -> assertSameRows(multi.toString(), "||"));
    }
}
