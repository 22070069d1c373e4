package io.tsforge.spark;

import io.tsforge.config.ConfigKeys;
import io.tsforge.io.Storage;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/**
 * Replaces one {@code run_date=...} partition of an output table and nothing else. The new rows are written to a
 * hidden temporary folder; only when that write has fully succeeded is the old partition moved aside, the new one
 * renamed into place and the old one deleted. A crash leaves either the old partition or the new one, never a
 * half-written or doubled one, and a hidden leftover that the next run ignores. Other dates are never touched.
 */
public final class PartitionWriter {

    private PartitionWriter() {
    }

    public static String replace(Storage storage, Dataset<Row> rows, String table, String runDate,
                                 ConfigKeys.OutputFormat format) {
        String name = "run_date=" + runDate;
        String id = UUID.randomUUID().toString();
        // "." and not "_": Spark skips "_x" folders only when their name has no "=", and these do
        Path tmp = new Path(table, ".tmp." + name + "." + id);
        var w = rows.write().mode(SaveMode.ErrorIfExists);
        if (format == ConfigKeys.OutputFormat.CSV) {
            w.option("header", "true").csv(tmp.toString());
        } else {
            w.parquet(tmp.toString());
        }
        FileSystem fs = storage.fs(table);
        Path dest = new Path(table, name);
        Path old = new Path(table, ".old." + name + "." + id);
        try {
            boolean had = fs.exists(dest);
            if (had && !fs.rename(dest, old)) {
                throw new IOException("cannot move " + dest + " aside");
            }
            if (!fs.rename(tmp, dest)) {
                if (had) {
                    fs.rename(old, dest);
                }
                throw new IOException("cannot rename " + tmp + " to " + dest);
            }
            if (had) {
                fs.delete(old, true);
            }
            return dest.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace partition " + dest + ": " + e.getMessage(), e);
        }
    }
}
