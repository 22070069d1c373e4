package io.tsforge.spark;

import io.tsforge.config.ConfigKeys;
import io.tsforge.io.Storage;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Replaces one {@code run_date=...} partition of an output table and nothing else. The new rows are written to a
 * hidden temporary folder; only when that write has fully succeeded is the old partition moved aside, the new one
 * renamed into place and the old one deleted. A crash leaves the old partition or the new one, never a half-written
 * or doubled one, plus hidden leftovers. Other dates are never touched.
 * <p>
 * No file system renames a folder over another atomically, so a crash between the two renames leaves the old
 * partition only under its hidden {@code .old.} name: the next write of that date first puts it back (see
 * {@link #recover}), so that even a failing re-run leaves the previous output in place, and a successful write
 * deletes the hidden leftovers of earlier crashed writes of its date.
 */
public final class PartitionWriter {

    private PartitionWriter() {
    }

    public static String replace(Storage storage, Dataset<Row> rows, String table, String runDate,
                                 ConfigKeys.OutputFormat format) {
        String name = "run_date=" + runDate;
        String id = UUID.randomUUID().toString();
        FileSystem fs = storage.fs(table);
        try {
            recover(fs, new Path(table), name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover partition " + table + "/" + name + ": " + e.getMessage(), e);
        }
        // "." and not "_": Spark skips "_x" folders only when their name has no "=", and these do
        Path tmp = new Path(table, ".tmp." + name + "." + id);
        var w = rows.write().mode(SaveMode.ErrorIfExists);
        if (format == ConfigKeys.OutputFormat.CSV) {
            w.option("header", "true").csv(tmp.toString());
        } else {
            w.parquet(tmp.toString());
        }
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
            for (Path p : leftovers(fs, new Path(table), name)) {
                fs.delete(p, true);
            }
            return dest.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace partition " + dest + ": " + e.getMessage(), e);
        }
    }

    /**
     * Repairs what a crashed write of partition {@code name} can leave: when the partition is missing or incomplete
     * (no {@code _SUCCESS}, e.g. only a failed run's summary) and a complete {@code .old.} copy exists, the newest such
     * copy is put back in place; hidden {@code .old.} copies are deleted once a complete partition is in place.
     * Unfinished {@code .tmp.} folders are left to the next successful write (another writer may own one).
     */
    static void recover(FileSystem fs, Path table, String name) throws IOException {
        if (!fs.exists(table)) {
            return;
        }
        Path dest = new Path(table, name);
        List<FileStatus> olds = new ArrayList<>();
        for (FileStatus s : fs.listStatus(table)) {
            if (s.isDirectory() && s.getPath().getName().startsWith(".old." + name + ".")
                    && fs.exists(new Path(s.getPath(), "_SUCCESS"))) {
                olds.add(s);
            }
        }
        if (olds.isEmpty()) {
            return;
        }
        olds.sort(Comparator.comparingLong(FileStatus::getModificationTime).reversed());
        if (!fs.exists(new Path(dest, "_SUCCESS"))) {
            if (fs.exists(dest)) {
                fs.delete(dest, true);
            }
            Path back = olds.remove(0).getPath();
            if (!fs.rename(back, dest)) {
                throw new IOException("cannot move " + back + " back to " + dest);
            }
        }
        for (FileStatus s : olds) {
            fs.delete(s.getPath(), true);
        }
    }

    /** Hidden folders of earlier writes of partition {@code name} ({@code .tmp.} and {@code .old.}). */
    static List<Path> leftovers(FileSystem fs, Path table, String name) throws IOException {
        List<Path> l = new ArrayList<>();
        for (FileStatus s : fs.listStatus(table)) {
            String n = s.getPath().getName();
            if (n.startsWith(".tmp." + name + ".") || n.startsWith(".old." + name + ".")) {
                l.add(s.getPath());
            }
        }
        return l;
    }
}
