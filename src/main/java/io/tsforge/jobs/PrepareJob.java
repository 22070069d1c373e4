package io.tsforge.jobs;

import io.tsforge.config.ConfigKeys;
import io.tsforge.config.InputSpec;
import io.tsforge.config.PrepareConfig;
import io.tsforge.core.AssembledSeries;
import io.tsforge.core.Normalizer;
import io.tsforge.core.SplitLabel;
import io.tsforge.core.StatsAccumulator;
import io.tsforge.core.Windower;
import io.tsforge.io.NormalizerJson;
import io.tsforge.io.Storage;
import io.tsforge.spark.PartitionCounts;
import io.tsforge.spark.PrepareFunctions;
import io.tsforge.spark.PreparedLayout;
import io.tsforge.spark.PreparedWriter;
import io.tsforge.spark.RawCursor;
import io.tsforge.spark.RawInput;
import io.tsforge.spark.CsvLines;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;

/**
 * {@code prepare}: raw readings -> quarantine, de-duplicated and resampled series, training-range statistics, normalized
 * segments and tagged windows. Every input row ends up used, quarantined or counted as a duplicate, and the summary
 * proves it.
 */
public final class PrepareJob {

    private PrepareJob() {
    }

    public static void run(SparkSession spark, PrepareConfig cfg, RunReport report) {
        InputSpec in = cfg.input();
        String out = cfg.outputDir();
        int nv = in.valueColumns().size();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

        report.stage("read");
        // CSV is read as text lines split by our own splitter (CsvLines: the rows Spark's CSV source gives, without its
        // tokenizer on lines that need none and without the corrupt-record machinery); JSON and Parquet by Spark.
        // the session's Hadoop configuration, broadcast once for the tasks that read (CSV) and write files themselves
        Broadcast<SerializableConfiguration> hadoop = PreparedWriter.broadcastHadoopConf(spark);
        CsvLines csv = in.format() == ConfigKeys.InputFormat.CSV ? CsvLines.open(spark, in, hadoop) : null;
        Dataset<Row> raw = csv == null ? RawInput.read(spark, in) : null;
        // The main scan parses every row and keeps only the parsed fields of the valid ones for the shuffle by
        // series; it counts the rows it rejects, and the rows of each input partition: that count of the input is
        // taken before any parsing decision and is what the balance check below compares the stages' accounting with
        // (it used to be a separate count() scan of the input). Only when the main scan rejected rows does the
        // quarantine stage scan and parse the input again to write them (with their texts and reasons) in input order.
        LongAccumulator rejectedSeen = jsc.sc().longAccumulator("rows rejected by the parser");
        PartitionCounts rowsRead = new PartitionCounts();
        jsc.sc().register(rowsRead, "rows read per input partition");
        // input order is (file name, position): the shuffle carries the file's rank instead of its name
        Map<String, Integer> fileRanks = PrepareFunctions.fileRanks(csv != null ? csv.inputFiles() : raw.inputFiles());
        JavaRDD<InternalRow> parsed = csv != null
                ? csv.mapCursors(spark, c -> PrepareFunctions.parseValid(c, in, rejectedSeen, rowsRead, fileRanks))
                : raw.queryExecution().toRdd().toJavaRDD().mapPartitions(rows -> PrepareFunctions.parseValid(
                        RawCursor.of(rows, nv), in, rejectedSeen, rowsRead, fileRanks));
        int inputPartitions = parsed.getNumPartitions();
        Dataset<Row> valid = PrepareFunctions.internalFrame(spark, parsed, PrepareFunctions.validSchema(nv));

        report.stage("assemble");
        int partitions = cfg.partitions() > 0 ? cfg.partitions() : jsc.defaultParallelism();
        JavaRDD<AssembledSeries> series = valid
                .repartition(partitions, col("_id"))
                .sortWithinPartitions(col("_id"), col("ts"), col("_fileRank"), col("_ord"))
                .queryExecution().toRdd().toJavaRDD()
                .mapPartitions(rows -> PrepareFunctions.assemble(rows, cfg.resample(), cfg.split(), nv))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            report.stage("fit-statistics");
            // one pass over the assembled series: statistics and counts (they were a reduceByKey and a separate
            // counting pass); the partitions' keys are disjoint, each series being assembled in one partition
            Map<String, StatsAccumulator> stats = new TreeMap<>();
            PrepareFunctions.SeriesCounts counts = new PrepareFunctions.SeriesCounts();
            long firstTs = Long.MAX_VALUE;
            for (PrepareFunctions.PartitionSummary p : series
                    .mapPartitions(it -> PrepareFunctions.summarize(it, cfg.normalization(), cfg.window()))
                    .collect()) {
                p.stats.forEach((id, acc) -> stats.merge(id, acc, StatsAccumulator::merge));
                counts.add(p.counts);
                firstTs = Math.min(firstTs, p.firstTs);
            }
            Normalizer normalizer = Normalizer.fit(cfg.normalization(), in.valueColumns(), stats);
            new Storage(jsc.hadoopConfiguration()).writeJson(out + "/" + PreparedLayout.STATS,
                    NormalizerJson.toJson(normalizer, stats));
            Broadcast<Normalizer> bn = jsc.broadcast(normalizer);

            // the main scan has run to completion (the statistics needed every series): its rejection count is final.
            // A re-executed task can only add to it, so zero means no row was rejected.
            // the main scan has run every partition to its end: the rows read are known
            long rowsIn = rowsRead.total(inputPartitions);
            if (rowsIn < 0) {
                throw new IllegalStateException("the main scan reported the rows of " + rowsRead.value().size()
                        + " of " + inputPartitions + " input partitions");
            }
            report.count("rows_in", rowsIn);
            report.log(String.format("read %,d rows", rowsIn));

            report.stage("quarantine");
            boolean anyRejected = rejectedSeen.value() > 0;
            Map<String, Long> byReason;
            if (anyRejected) {
                Dataset<Row> rawAgain = csv != null ? csv.raw(spark) : raw;
                Dataset<Row> rejected = spark.createDataFrame(rawAgain.javaRDD().mapPartitions(rows ->
                        PrepareFunctions.parse(rows, in, true, null)), PrepareFunctions.parsedSchema(nv));
                byReason = writeQuarantine(spark, rejected, in, out + "/" + PreparedLayout.QUARANTINE, true);
            } else {
                // nothing rejected: the header-only file Spark's write of no rows gives, without a Spark job
                writeEmptyQuarantine(spark, in, out + "/" + PreparedLayout.QUARANTINE);
                byReason = new TreeMap<>();
            }
            long quarantined = byReason.values().stream().mapToLong(Long::longValue).sum();
            report.count("rows_quarantined", quarantined);
            report.count("quarantine_by_reason", byReason);
            report.log(String.format("quarantined %,d rows %s", quarantined, byReason));

            counts.seriesOnGlobalStats(normalizer);
            if (counts.series > 0 && normalizer.global() == null) {
                throw new IllegalStateException("no series has a step in the training range: check split.* "
                        + "against the data's time range");
            }

            boolean csvSeries = cfg.outputFormat() == ConfigKeys.OutputFormat.CSV;
            if (csvSeries) {
                report.stage("write-series");
                PrepareFunctions.internalFrame(spark, series.flatMap(s -> PrepareFunctions.seriesRows(s, bn.value())),
                                PreparedLayout.seriesSchema(in.valueColumns()))
                        .write().mode(SaveMode.Overwrite).option("header", "true")
                        .csv(out + "/" + PreparedLayout.SERIES);
            }
            report.stage("write");
            if (directParquet(spark, firstTs)) {
                // series/ (Parquet), segments/ and windows/ in one job, each task writing its files directly
                PreparedWriter.Rows written = PreparedWriter.write(spark, series, bn, cfg.window(), in.valueColumns(),
                        out, !csvSeries, counts.windows, hadoop);
                if (counts.windows.windows() == 0) {
                    writeWindows(spark, series, cfg, counts.windows, out + "/" + PreparedLayout.WINDOWS);
                }
                checkWritten(written, counts, !csvSeries);
            } else {
                writeWithSpark(spark, series, bn, cfg, counts, out, !csvSeries);
            }
            report.endStage();

            reportCounts(report, counts);
            long accounted = counts.rowsUsed + quarantined + counts.rowsDuplicate;
            report.count("rows_balanced", accounted == rowsIn);
            if (accounted != rowsIn) {
                throw new IllegalStateException(String.format("row accounting does not balance: rows_in=%d but "
                        + "used %d + quarantined %d + duplicate %d = %d", rowsIn, counts.rowsUsed, quarantined,
                        counts.rowsDuplicate, accounted));
            }
            report.log(String.format("rows in %,d = used %,d + quarantined %,d + duplicate %,d; %d series, "
                            + "%d segments; windows train %,d / validation %,d / test %,d",
                    rowsIn, counts.rowsUsed, quarantined, counts.rowsDuplicate, counts.series, counts.segments,
                    counts.windows.train, counts.windows.validation, counts.windows.test));
        } finally {
            series.unpersist(false);
            hadoop.destroy();
        }
    }

    /**
     * Whether {@link PreparedWriter} writes what Spark's Parquet writer would: Spark writes a timestamp unchanged
     * unless the session's {@code spark.sql.parquet.datetimeRebaseModeInWrite} rebases it ({@code LEGACY}) or fails on
     * it ({@code EXCEPTION}, the default, for a timestamp before Spark's last calendar switch, 1900-01-01 UTC); in
     * those cases the outputs go through Spark's writer as before, which rebases or fails as it always did. So do they
     * under settings {@link PreparedWriter} does not apply ({@link PreparedWriter#unsupported}).
     * {@code firstTs}: the earliest segment start (epoch milliseconds), every written timestamp being at or after it.
     */
    public static boolean directParquet(SparkSession spark, long firstTs) {
        if (PreparedWriter.unsupported(spark) != null) {
            return false;
        }
        String mode = spark.sessionState().conf().getConfString("spark.sql.parquet.datetimeRebaseModeInWrite");
        return switch (mode) {
            case "CORRECTED" -> true;
            case "EXCEPTION" -> firstTs == Long.MAX_VALUE
                    || PrepareFunctions.micros(firstTs)
                    >= org.apache.spark.sql.catalyst.util.RebaseDateTime.lastSwitchGregorianTs();
            default -> false;
        };
    }

    /** The rows {@link PreparedWriter} wrote against the counts of the statistics pass. */
    public static void checkWritten(PreparedWriter.Rows written, PrepareFunctions.SeriesCounts counts, boolean series) {
        long[] windows = {counts.windows.train, counts.windows.validation, counts.windows.test};
        if ((series && written.series != counts.steps) || written.segments != counts.segments
                || !java.util.Arrays.equals(written.windows, windows)) {
            throw new IllegalStateException(String.format("the outputs hold %d steps, %d segments and %s windows; "
                            + "the series counted %d, %d and %s", written.series, written.segments,
                    java.util.Arrays.toString(written.windows), counts.steps, counts.segments,
                    java.util.Arrays.toString(windows)));
        }
    }

    /** The Parquet outputs written through Spark, one write per output (see {@link #directParquet}). */
    public static void writeWithSpark(SparkSession spark, JavaRDD<AssembledSeries> series, Broadcast<Normalizer> bn,
                               PrepareConfig cfg, PrepareFunctions.SeriesCounts counts, String out, boolean seriesToo) {
        InputSpec in = cfg.input();
        if (seriesToo) {
            var writer = PrepareFunctions.internalFrame(spark,
                            series.flatMap(s -> PrepareFunctions.seriesRows(s, bn.value())),
                            PreparedLayout.seriesSchema(in.valueColumns()))
                    .write().mode(SaveMode.Overwrite);
            // the normalized values are as many distinct doubles as there are steps: Parquet's dictionary for
            // them fills up and falls back to plain encoding in every page, after hashing every value
            for (String v : in.valueColumns()) {
                writer.option("parquet.enable.dictionary#" + v + "_norm", "false");
            }
            withMicrosTimestamps(spark, () -> writer.parquet(out + "/" + PreparedLayout.SERIES));
        }
        withMicrosTimestamps(spark, () -> PrepareFunctions.internalFrame(spark,
                        series.flatMap(s -> PrepareFunctions.segmentRows(s, bn.value())),
                        PreparedLayout.segmentSchema())
                .write().mode(SaveMode.Overwrite)
                // one packed float block per segment: no dictionary could hold them
                .option("parquet.enable.dictionary#" + PreparedLayout.SEGMENT_VALUES, "false")
                .parquet(out + "/" + PreparedLayout.SEGMENTS));
        writeWindows(spark, series, cfg, counts.windows, out + "/" + PreparedLayout.WINDOWS);
    }

    /**
     * Writes {@code windows/split=<label>/} for each split that has windows: one plain write per split, each keeping
     * only its own windows, instead of one {@code partitionBy("split")} write. The folders, files and rows are those
     * {@code partitionBy} writes (the rows of a split in the same order, without the {@code split} column, which
     * readers get back from the folder name), without the sort by split that Spark puts before a partitioned write
     * (measured: about a third of that write's CPU). Each split folder gets its own {@code _SUCCESS}, and
     * {@code windows/_SUCCESS} is written last, as the partitioned write left it. With no window at all, the
     * partitioned write of the empty set, as before.
     */
    static void writeWindows(SparkSession spark, JavaRDD<AssembledSeries> series, PrepareConfig cfg,
                             Windower.Counts counts, String dir) {
        long[] perSplit = {counts.train, counts.validation, counts.test};
        SplitLabel[] labels = {SplitLabel.TRAIN, SplitLabel.VALIDATION, SplitLabel.TEST};
        if (perSplit[0] + perSplit[1] + perSplit[2] == 0) {
            withMicrosTimestamps(spark, () -> PrepareFunctions.internalFrame(spark,
                            series.flatMap(s -> PrepareFunctions.windowRows(s, cfg.window())),
                            PreparedLayout.windowSchema())
                    .write().mode(SaveMode.Overwrite).partitionBy("split").parquet(dir));
            return;
        }
        Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
        try {
            // the whole folder, as the partitioned write's overwrite did: no split of an earlier run is left behind
            storage.fs(dir).delete(new org.apache.hadoop.fs.Path(dir), true);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot clear " + dir + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < labels.length; i++) {
            if (perSplit[i] == 0) {
                continue;  // partitionBy writes no folder for a split without rows
            }
            SplitLabel label = labels[i];
            withMicrosTimestamps(spark, () -> PrepareFunctions.internalFrame(spark,
                            series.flatMap(s -> PrepareFunctions.windowRows(s, cfg.window(), label)),
                            PreparedLayout.windowFileSchema())
                    .write().mode(SaveMode.ErrorIfExists).parquet(dir + "/split=" + label.label));
        }
        try {
            storage.fs(dir).create(new org.apache.hadoop.fs.Path(dir, "_SUCCESS"), true).close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + dir + "/_SUCCESS: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a Parquet write with timestamps stored as INT64 microseconds instead of Spark's default INT96 (the session
     * setting is restored afterwards). Spark reads both back as the same timestamps; INT96 values go through a
     * dictionary of 12-byte binaries, which made the timestamp the costliest column of {@code series/} and
     * {@code windows/}.
     */
    static void withMicrosTimestamps(SparkSession spark, Runnable write) {
        String key = "spark.sql.parquet.outputTimestampType";
        String before = spark.conf().contains(key) ? spark.conf().get(key) : null;
        spark.conf().set(key, "TIMESTAMP_MICROS");
        try {
            write.run();
        } finally {
            if (before == null) {
                spark.conf().unset(key);
            } else {
                spark.conf().set(key, before);
            }
        }
    }

    /**
     * The quarantine of a run that rejected no row, as Spark's CSV write of an empty frame leaves it (one part file
     * holding only the header line, written by Spark's own CSV generator with the options Spark's CSV writer takes
     * from {@code header=true}, then {@code _SUCCESS}), written directly: Spark's write of nothing is a job with a
     * shuffle and its commit protocol.
     */
    static void writeEmptyQuarantine(SparkSession spark, InputSpec in, String dir) {
        StructType schema = PreparedLayout.quarantineSchema(in.valueColumns(), in.wide());
        scala.collection.immutable.Map<String, String> options = scala.collection.immutable.Map$.MODULE$.<String,
                String>empty().$plus(new scala.Tuple2<>("header", "true"));
        var conf = spark.sessionState().conf();
        var csvOptions = new org.apache.spark.sql.catalyst.csv.CSVOptions(options, conf.csvColumnPruning(),
                conf.sessionLocalTimeZone());
        java.io.StringWriter text = new java.io.StringWriter();
        var generator = new org.apache.spark.sql.catalyst.csv.UnivocityGenerator(schema, text, csvOptions);
        generator.writeHeaders();
        generator.close();
        Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
        org.apache.hadoop.fs.FileSystem fs = storage.fs(dir);
        org.apache.hadoop.fs.Path d = new org.apache.hadoop.fs.Path(dir);
        try {
            fs.delete(d, true);
            fs.mkdirs(d);
            String name = "part-00000-" + java.util.UUID.randomUUID() + "-c000.csv";
            try (var out = fs.create(new org.apache.hadoop.fs.Path(d, name), true)) {
                out.write(text.toString().getBytes(csvOptions.charset()));
            }
            fs.create(new org.apache.hadoop.fs.Path(d, "_SUCCESS"), true).close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the rejected rows as CSV with their reasons and returns the count per reason, read back from disk
     * ({@code readBack}; an empty map without reading when the caller knows there are none).
     */
    static Map<String, Long> writeQuarantine(SparkSession spark, Dataset<Row> rejected, InputSpec in, String dir,
                                             boolean readBack) {
        List<Column> q = new ArrayList<>();
        if (!in.wide()) {
            q.add(col("_id").as("series_id"));
        }
        q.add(col("_ts").as("timestamp"));
        for (int i = 0; i < in.valueColumns().size(); i++) {
            q.add(col("_v" + i).as(in.valueColumns().get(i)));
        }
        q.add(col("reason"));
        q.add(col("detail"));
        q.add(col("_file").as("source_file"));
        // One file in input order. coalesce(1) would also run the scan and parse of the whole input in one task
        // (measured: the stage took as long as the shuffle pass on 2 cores); a one-partition shuffle of the few
        // rejected rows keeps the scan parallel, and sorting by _ord (partition index, then row) restores the order
        // coalesce(1) gave.
        rejected.repartition(1).sortWithinPartitions(col("_ord"))
                .select(q.toArray(new Column[0]))
                .write().mode(SaveMode.Overwrite).option("header", "true").csv(dir);
        Map<String, Long> byReason = new TreeMap<>();
        if (!readBack) {
            return byReason;
        }
        StructType schema = PreparedLayout.quarantineSchema(in.valueColumns(), in.wide());
        for (Row r : spark.read().option("header", "true").schema(schema).csv(dir).groupBy(col("reason")).count()
                .collectAsList()) {
            byReason.put(r.getString(0), r.getLong(1));
        }
        return byReason;
    }

    private static void reportCounts(RunReport report, PrepareFunctions.SeriesCounts counts) {
        report.count("rows_used", counts.rowsUsed);
        report.count("rows_duplicate", counts.rowsDuplicate);
        report.count("series", counts.series);
        report.count("segments", counts.segments);
        report.count("steps", counts.steps);
        report.count("steps_filled", counts.stepsFilled);
        report.count("steps_incomplete", counts.stepsIncomplete);
        report.count("gaps_filled", counts.gapsFilled);
        report.count("gaps_split", counts.gapsSplit);
        report.count("series_on_global_statistics", counts.seriesOnGlobalStats);
        Map<String, Long> windows = new LinkedHashMap<>();
        windows.put("train", counts.windows.train);
        windows.put("validation", counts.windows.validation);
        windows.put("test", counts.windows.test);
        report.count("windows", windows);
        report.count("windows_padded", counts.windows.padded);
        Map<String, Long> skipped = new LinkedHashMap<>();
        skipped.put("straddling_split", counts.windows.straddling);
        skipped.put("segments_too_short", counts.windows.segmentsTooShort);
        skipped.put("series_without_windows", counts.seriesWithoutWindows);
        report.count("windows_skipped", skipped);
    }
}
