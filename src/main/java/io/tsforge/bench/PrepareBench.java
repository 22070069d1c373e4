package io.tsforge.bench;

import io.tsforge.config.Config;
import io.tsforge.config.PrepareConfig;
import io.tsforge.jobs.PrepareJob;
import io.tsforge.jobs.RunReport;
import io.tsforge.spark.PreparedLayout;
import io.tsforge.spark.SparkSessions;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import scala.collection.JavaConverters;

import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code generate DIR SERIES POINTS}: writes a long-format CSV of SERIES x POINTS readings (5-minute steps, a daily
 * cycle, noise, 0.1% duplicates). {@code bare FILE} and {@code prepare FILE OUT}: one measured run each, after a
 * warm-up on a small file ({@code -Dbench.warmup=SERIESxPOINTS}, default 20x500), printing one line
 * {@code mode rows seconds rows/s cpuSeconds heapPeakMB rssPeakMB}; {@code scan FILE}: a read that parses every field
 * and aggregates, a fairer floor than {@code bare}'s count. {@code compare A B}: whether two {@code prepared/} folders
 * hold the same rows (series, segments, windows, quarantine as multisets; exit 1 if not), to check that a change to
 * {@code prepare} keeps its outputs.
 */
public final class PrepareBench {

    private PrepareBench() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "generate" -> generate(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "bare", "scan", "prepare" -> measure(args[0], args[1], args.length > 2 ? args[2] : null);
            case "compare" -> System.exit(compare(args[1], args[2]) ? 0 : 1);
            default -> throw new IllegalArgumentException("mode must be generate, bare, scan, prepare or compare, found "
                    + args[0]);
        }
    }

    static void generate(Path file, int series, int points) throws IOException {
        Files.createDirectories(file.getParent());
        SplittableRandom rnd = new SplittableRandom(42);
        long t0 = 1_704_067_200_000L;
        StringBuilder sb = new StringBuilder(128);
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("sensor_id,timestamp,value,temp\n");
            for (int s = 0; s < series; s++) {
                String id = "s" + s;
                double level = 50 + rnd.nextDouble() * 50;
                for (int i = 0; i < points; i++) {
                    long ts = t0 + i * 300_000L;
                    double v = level + 10 * Math.sin(2 * Math.PI * i / 288.0) + rnd.nextGaussian();
                    sb.setLength(0);
                    sb.append(id).append(',').append(ts / 1000).append(',');
                    sb.append(Math.round(v * 1000) / 1000.0).append(',');
                    sb.append(Math.round((20 + rnd.nextGaussian()) * 100) / 100.0).append('\n');
                    w.write(sb.toString());
                    if (rnd.nextInt(1000) == 0) {
                        w.write(sb.toString());
                    }
                }
            }
        }
    }

    static Map<String, String> config(String input, String out) {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", input);
        m.put("input.idColumn", "sensor_id");
        m.put("input.timeColumn", "timestamp");
        m.put("input.valueColumns", "value,temp");
        m.put("series.frequency", "5min");
        m.put("window.lookback", "96");
        m.put("window.horizon", "24");
        m.put("window.stride", "4");
        m.put("output.dir", out);
        return m;
    }

    /**
     * The benches' Spark settings for {@code master}: the local file system and serializer the jobs use; {@code
     * -Dbench.kryo=false} keeps Spark's Java serializer instead of Kryo with our registrator.
     */
    static SparkConf sparkConf(String master) {
        SparkConf conf = SparkSessions.localFileSystem(new SparkConf().setMaster(master));
        return Boolean.parseBoolean(System.getProperty("bench.kryo", "true")) ? SparkSessions.kryo(conf) : conf;
    }

    static void measure(String mode, String input, String out) throws IOException {
        SparkSession spark = SparkSession.builder().config(sparkConf("local[*]")).appName("bench")
                .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        Path warm = Files.createTempDirectory("bench-warm");
        // -Dbench.warmup=SERIESxPOINTS: the size of the untimed warm-up file (default 20x500)
        String warmup = System.getProperty("bench.warmup", "20x500");
        if (!warmup.matches("[1-9][0-9]{0,5}x[1-9][0-9]{0,5}")) {
            throw new IllegalArgumentException("bench.warmup must be SERIESxPOINTS (e.g. 20x500), found '" + warmup
                    + "'");
        }
        String[] size = warmup.split("x");
        generate(warm.resolve("warm.csv"), Integer.parseInt(size[0]), Integer.parseInt(size[1]));
        run(spark, mode, warm.resolve("warm.csv").toString(), warm.resolve("out").toString());
        long start = System.nanoTime();
        long cpu0 = processCpuNanos();
        long rows = run(spark, mode, input, out);
        double s = (System.nanoTime() - start) / 1e9;
        double cpu = (processCpuNanos() - cpu0) / 1e9;
        long heap = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                heap += p.getPeakUsage().getUsed();
            }
        }
        System.out.printf(Locale.ROOT, "RESULT %s rows=%d seconds=%.2f rows_per_s=%.0f cpu_seconds=%.2f heap_peak_mb=%d "
                + "rss_peak_mb=%d%n", mode, rows, s, rows / s, cpu, heap >> 20, rssPeakMb());
        spark.stop();
    }

    static long run(SparkSession spark, String mode, String input, String out) {
        if (mode.equals("bare")) {
            // Spark's own floor: a CSV count() tokenizes lines but converts no field
            return spark.read().option("header", "true").csv(input).count();
        }
        if (mode.equals("scan")) {
            // a fairer floor: every field parsed (timestamp and both values), then aggregated
            org.apache.spark.sql.Row r = spark.read().option("header", "true").csv(input)
                    .selectExpr("count(sensor_id)", "max(cast(timestamp as long))", "sum(cast(value as double))",
                            "sum(cast(temp as double))", "count(1)").first();
            return r.getLong(4);
        }
        RunReport r = new RunReport("prepare");
        PrepareJob.run(spark, PrepareConfig.from(Config.of(config(input, out))), r);
        r.endStage();
        return (Long) r.count("rows_in");
    }

    static boolean compare(String a, String b) {
        SparkSession spark = SparkSession.builder()
                .config(SparkSessions.localFileSystem(new SparkConf().setMaster("local[*]"))).appName("compare")
                .config("spark.ui.enabled", "false").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        boolean same = true;
        for (String part : List.of("series", "segments", "windows", "quarantine")) {
            boolean csv = part.equals("quarantine") || hasCsv(Path.of(a, part));
            var x = csv ? spark.read().option("header", "true").csv(a + "/" + part) : spark.read().parquet(a + "/" + part);
            var y = csv ? spark.read().option("header", "true").csv(b + "/" + part) : spark.read().parquet(b + "/" + part);
            if (part.equals("segments")) {
                // either layout (packed floats or float arrays) compared as float arrays
                x = segmentsAsArrays(x);
                y = segmentsAsArrays(y);
            }
            long nx = x.count();
            long ny = y.count();
            long onlyX = x.exceptAll(y).count();
            long onlyY = y.exceptAll(x).count();
            boolean ok = nx == ny && onlyX == 0 && onlyY == 0;
            same &= ok;
            System.out.printf(Locale.ROOT, "%-11s rows %d / %d, only in first %d, only in second %d: %s%n", part, nx, ny,
                    onlyX, onlyY, ok ? "same" : "DIFFERENT");
        }
        spark.stop();
        return same;
    }

    /** {@code segments/} rows in the float-array form ({@link PreparedLayout#segmentArraySchema}), from either layout. */
    static Dataset<Row> segmentsAsArrays(Dataset<Row> d) {
        if (!Arrays.asList(d.columns()).contains(PreparedLayout.SEGMENT_VALUES)) {
            return d;
        }
        return d.map((MapFunction<Row, Row>) r -> {
            List<Object> features = new ArrayList<>();
            for (float[] v : PreparedLayout.segmentValues(r)) {
                List<Object> boxed = new ArrayList<>(v.length);
                for (float f : v) {
                    boxed.add(f);
                }
                features.add(JavaConverters.asScalaBuffer(boxed).toSeq());
            }
            return RowFactory.create(r.getAs("series_id"), r.getAs("segment"), r.getAs("start_ts"), r.getAs("step_ms"),
                    r.getAs("length"), JavaConverters.asScalaBuffer(features).toSeq(), r.getAs("split"));
        }, Encoders.row(PreparedLayout.segmentArraySchema()));
    }

    private static boolean hasCsv(Path dir) {
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".csv"));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * CPU time of the whole process (all threads, JIT and GC included): on a shared machine wall time depends on the
     * other load, CPU time mostly on the work done, so the two together tell a change's effect apart from the noise.
     */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static long rssPeakMb() {
        return io.tsforge.jobs.RunReport.peakRssMb();
    }

}
