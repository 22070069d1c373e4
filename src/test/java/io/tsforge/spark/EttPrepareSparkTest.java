package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.PrepareConfig;
import io.tsforge.core.Normalizer;
import io.tsforge.io.NormalizerJson;
import io.tsforge.io.Storage;
import io.tsforge.jobs.PrepareJob;
import io.tsforge.jobs.RunReport;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ETTh1 under the Informer protocol (../shared/BENCHMARKS.md): train rows [0, 8640), validation [8640, 11520),
 * test [11520, 14400), OT train mean 17.1283 and population std 9.1765. Skipped when the shared data is absent.
 */
class EttPrepareSparkTest {

    @TempDir
    Path tmp;

    @Test
    void informerSplitAndStatisticsAreReproduced() throws Exception {
        Path shared = SparkTestSession.sharedData();
        Assumptions.assumeTrue(shared != null && Files.isRegularFile(shared.resolve("ett/ETTh1.csv")),
                "../shared/data/ett/ETTh1.csv is absent");
        Config c = Config.load(SparkTestSession.projectDir().resolve("conf/ett.properties"), java.util.List.of(
                "input.path=" + shared.resolve("ett/ETTh1.csv"), "output.dir=" + tmp.resolve("out"),
                "window.lookback=96", "window.horizon=24"));
        PrepareConfig cfg = PrepareConfig.from(c);
        RunReport r = new RunReport("prepare");
        PrepareJob.run(SparkTestSession.get(), cfg, r);
        r.endStage();
        assertEquals(17420L, r.count("rows_in"));
        assertEquals(17420L, r.count("rows_used"));
        Map<String, Long> steps = SparkTestSession.get().read().parquet(cfg.outputDir() + "/series")
                .groupBy("split").count().collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getString(0), x -> x.getLong(1)));
        assertEquals(Map.of("train", 8640L, "validation", 2880L, "test", 2880L, "none", 3020L), steps);
        Normalizer n = NormalizerJson.fromJson(Storage.local().readJson(cfg.outputDir() + "/" + PreparedLayout.STATS));
        assertEquals(17.1283, n.scaleFor("ETTh1").center()[0], 5e-5);
        assertEquals(9.1765, n.scaleFor("ETTh1").scale()[0], 5e-5);
        // every origin: train 8640 - 96 - 24 + 1; validation and test 2880 - 24 + 1 (inputs reach back)
        assertEquals(Map.of("train", 8521L, "validation", 2857L, "test", 2857L), r.count("windows"));
        Row firstTest = SparkTestSession.get().read().parquet(cfg.outputDir() + "/windows")
                .filter("split = 'test'").orderBy("origin").first();
        assertEquals(11519, (int) firstTest.getAs("origin"), "the first test window forecasts row 11520 onwards");
    }
}
