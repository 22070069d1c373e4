package io.tsforge.jobs;

import io.tsforge.config.Config;
import io.tsforge.config.InputSpec;
import io.tsforge.config.PrepareConfig;
import io.tsforge.spark.PrepareFunctions;
import io.tsforge.spark.SparkTestSession;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quarantine of a run without rejected rows, written directly ({@link PrepareJob#writeEmptyQuarantine}), against
 * Spark's CSV write of no rows ({@link PrepareJob#writeQuarantine}): the same files, the part file byte for byte, also
 * for column names Spark's CSV writer quotes or escapes, in long and wide format.
 */
class PrepareQuarantineTest {

    @TempDir
    Path tmp;

    final SparkSession spark = SparkTestSession.get();

    InputSpec input(boolean wide, String values) {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", tmp.resolve("in.csv").toString());
        if (!wide) {
            m.put("input.idColumn", "sensor id");
        }
        m.put("input.timeColumn", "ts");
        m.put("input.valueColumns", values);
        m.put("series.frequency", "1h");
        m.put("window.lookback", "2");
        m.put("window.horizon", "1");
        m.put("output.dir", tmp.resolve("out").toString());
        return PrepareConfig.from(Config.of(m)).input();
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString().replaceAll("-[0-9a-f-]{36}-", "-ID-"))
                    .filter(n -> !n.endsWith(".crc")).sorted().toList();
        }
    }

    static byte[] part(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return Files.readAllBytes(files.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst()
                    .orElseThrow());
        }
    }

    @Test
    void emptyQuarantineIsSparksWriteOfNoRows() throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int n = 0;
        for (boolean wide : new boolean[]{false, true}) {
            for (String values : List.of("load_kw, ambient_c", "temp\"c", "é value,#x")) {
                InputSpec in = input(wide, values);
                Path spark1 = tmp.resolve("spark-" + n);
                Path ours = tmp.resolve("ours-" + n++);
                var empty = spark.createDataFrame(jsc.<Row>emptyRDD().rdd(),
                        PrepareFunctions.parsedSchema(in.valueColumns().size()));
                PrepareJob.writeQuarantine(spark, empty, in, spark1.toString(), false);
                Files.createDirectories(ours);
                Files.writeString(ours.resolve("stale.csv"), "from an earlier run");
                PrepareJob.writeEmptyQuarantine(spark, in, ours.toString());
                assertEquals(names(spark1), names(ours), values);
                assertEquals(List.of("_SUCCESS", "part-00000-ID-c000.csv"), names(ours));
                byte[] expected = part(spark1);
                assertArrayEquals(expected, part(ours), () -> new String(expected));
                assertTrue(expected.length > 10);
            }
        }
    }
}
