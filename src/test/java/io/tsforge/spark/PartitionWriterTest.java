package io.tsforge.spark;

import io.tsforge.config.ConfigKeys;
import io.tsforge.io.Storage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Crash leftovers of a partition replacement (found by the cluster fault check: detect killed mid-write). */
class PartitionWriterTest {

    @TempDir
    Path tmp;

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A partition folder as a completed Spark write leaves it. */
    private static void partition(Path dir, String content) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("part-00000.csv"), content);
        Files.writeString(dir.resolve("_SUCCESS"), "");
    }

    @Test
    void aCrashBetweenTheTwoRenamesIsUndoneBeforeTheNextWrite() throws IOException {
        Path table = tmp.resolve("anomalies");
        // the old partition moved aside, the new one not yet renamed in: no visible partition
        partition(table.resolve(".old.run_date=2024-03-15.a1"), "previous");
        Files.createDirectories(table.resolve(".tmp.run_date=2024-03-15.a1"));
        partition(table.resolve("run_date=2024-03-14"), "other date");
        PartitionWriter.recover(Storage.local().fs(table.toString()), new org.apache.hadoop.fs.Path(table.toString()),
                "run_date=2024-03-15");
        assertEquals("previous", Files.readString(table.resolve("run_date=2024-03-15/part-00000.csv")));
        assertEquals(List.of(".tmp.run_date=2024-03-15.a1", "run_date=2024-03-14", "run_date=2024-03-15"),
                names(table), "the old copy is back; another writer's .tmp folder is not touched by recovery");
    }

    @Test
    void anIncompletePartitionGivesWayToTheCompleteOldCopy() throws IOException {
        Path table = tmp.resolve("anomalies");
        partition(table.resolve(".old.run_date=2024-03-15.a1"), "previous");
        // a failed run's summary written where the partition was missing: a folder without _SUCCESS
        Files.createDirectories(table.resolve("run_date=2024-03-15"));
        Files.writeString(table.resolve("run_date=2024-03-15/_summary.json"), "{\"status\":\"failed\"}");
        PartitionWriter.recover(Storage.local().fs(table.toString()), new org.apache.hadoop.fs.Path(table.toString()),
                "run_date=2024-03-15");
        assertEquals("previous", Files.readString(table.resolve("run_date=2024-03-15/part-00000.csv")));
        assertEquals(List.of("run_date=2024-03-15"), names(table));
    }

    @Test
    void aCompletePartitionIsKeptAndStaleOldCopiesGo() throws IOException {
        Path table = tmp.resolve("anomalies");
        partition(table.resolve("run_date=2024-03-15"), "new");
        partition(table.resolve(".old.run_date=2024-03-15.a1"), "previous");
        PartitionWriter.recover(Storage.local().fs(table.toString()), new org.apache.hadoop.fs.Path(table.toString()),
                "run_date=2024-03-15");
        assertEquals("new", Files.readString(table.resolve("run_date=2024-03-15/part-00000.csv")));
        assertEquals(List.of("run_date=2024-03-15"), names(table));
    }

    @Test
    void aSuccessfulWriteReplacesItsDateOnlyAndClearsThatDatesLeftovers() throws IOException {
        SparkSession spark = SparkTestSession.get();
        Path table = tmp.resolve("anomalies");
        partition(table.resolve("run_date=2024-03-14"), "other date");
        Files.createDirectories(table.resolve(".tmp.run_date=2024-03-15.killed"));
        Files.writeString(table.resolve(".tmp.run_date=2024-03-15.killed/part-00000.csv"), "half");
        Files.createDirectories(table.resolve(".tmp.run_date=2024-03-14.other"));
        Dataset<Row> rows = spark.range(5).toDF("n");
        String dest = PartitionWriter.replace(Storage.local(), rows, table.toString(), "2024-03-15",
                ConfigKeys.OutputFormat.CSV);
        assertTrue(dest.endsWith("run_date=2024-03-15"), dest);
        assertTrue(Files.exists(table.resolve("run_date=2024-03-15/_SUCCESS")));
        assertEquals(5, spark.read().option("header", "true").csv(dest).count());
        assertEquals(List.of(".tmp.run_date=2024-03-14.other", "run_date=2024-03-14", "run_date=2024-03-15"),
                names(table), "the killed write's folder is gone, other dates' folders are untouched");
        assertEquals("other date", Files.readString(table.resolve("run_date=2024-03-14/part-00000.csv")));
        assertFalse(names(table).stream().anyMatch(n -> n.startsWith(".old.")));
    }
}
