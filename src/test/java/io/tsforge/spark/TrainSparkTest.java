package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.PrepareConfig;
import io.tsforge.config.TrainConfig;
import io.tsforge.io.Storage;
import io.tsforge.jobs.CompareJob;
import io.tsforge.jobs.PrepareJob;
import io.tsforge.jobs.RunReport;
import io.tsforge.jobs.TrainJob;
import io.tsforge.model.ModelBundle;
import io.tsforge.model.NetworkFactory;
import io.tsforge.model.Tensors;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The train job on data-samples: accuracy against the naive forecast, resume, bundles, distributed = local. */
class TrainSparkTest {

    @TempDir
    static Path tmp;

    static SparkSession spark;

    /** Small and quick: every 4th training window, a 16-unit LSTM. */
    static List<String> settings(String... more) {
        List<String> s = new ArrayList<>(List.of("output.dir=" + tmp.resolve("out"), "window.stride=4",
                "model.units=16", "train.epochs=6", "train.patience=0", "train.learningRate=0.01",
                "train.lrSchedule=none", "train.batchSizePerWorker=32"));
        s.addAll(List.of(more));
        return s;
    }

    static Config config(String... more) throws IOException {
        return Config.load(SparkTestSession.projectDir().resolve("conf/samples.properties"), settings(more));
    }

    @BeforeAll
    static void prepare() throws IOException {
        spark = SparkTestSession.get();
        RunReport r = new RunReport("prepare");
        PrepareJob.run(spark, PrepareConfig.from(config()), r);
        Storage.local().writeJson(PrepareConfig.from(config()).outputDir() + "/_summary.json",
                r.summary("succeeded", config().effective(), null));
    }

    static String train(Config c, boolean resume) {
        RunReport r = new RunReport("train");
        return TrainJob.run(spark, TrainConfig.from(c), c, resume, r);
    }

    @Test
    void validationLossIsWellBelowTheRepeatLastValueForecast() throws IOException {
        String dir = train(config("model.name=accuracy"), false);
        ModelBundle b = ModelBundle.load(Storage.local(), dir);
        double mse = b.metrics().path("validation").path("mse").asDouble();
        double naive = b.metrics().path("validation").path("naiveMse").asDouble();
        assertTrue(mse < 0.5 * naive, "validation MSE " + mse + " is not well below the naive " + naive);
        assertEquals(6, b.metrics().path("epochs").size());
        // the calibration holds every series' residuals at every horizon step, from validation windows
        assertEquals(24, b.calibration().horizon());
        assertEquals(6, b.calibration().perSeries().size());
        double q05 = b.calibration().step("sensor-02", 0).quantile(0.05);
        double q95 = b.calibration().step("sensor-02", 0).quantile(0.95);
        assertTrue(q05 < 0 && q95 > 0 && q95 - q05 < 2.0, q05 + " .. " + q95);
        assertTrue(b.calibration().step("sensor-02", 23).scale() > b.calibration().step("sensor-02", 0).scale() * 0.8,
                "residual scale should not shrink much with the horizon");
    }

    @Test
    void resumingAfterAnInterruptionGivesTheUninterruptedResult() throws IOException {
        String whole = train(config("model.name=whole", "train.epochs=3"), false);
        // the same run "interrupted" after epoch 2 (epochs=2 then resumed with epochs=3 from its checkpoint)
        train(config("model.name=cut", "train.epochs=2"), false);
        String resumed = train(config("model.name=cut", "train.epochs=3"), true);
        ModelBundle a = ModelBundle.load(Storage.local(), whole);
        ModelBundle b = ModelBundle.load(Storage.local(), resumed);
        assertEquals(3, b.metrics().path("epochs").size(), "the resumed run keeps the first run's history");
        double diff = a.network().params().sub(b.network().params()).amaxNumber().doubleValue();
        assertTrue(diff < 1e-6, "resumed parameters differ by " + diff);
        assertTrue(b.dir().endsWith("cut/v2"), b.dir());
    }

    /**
     * Holds exactly when one averaging round covers the epoch (averagingFrequency = minibatches per epoch): DL4J then
     * advances the iteration count by what the worker really did, so Adam's bias correction matches.
     */
    @Test
    void oneSparkWorkerEqualsSingleMachineFit() {
        TrainConfig cfg = TrainConfig.from(Config.of(java.util.Map.of("input.path", "x", "input.idColumn", "id",
                "input.timeColumn", "t", "input.valueColumns", "a,b", "series.frequency", "1h", "output.dir", "o",
                "window.lookback", "12", "window.horizon", "3", "train.averagingFrequency", "6",
                "train.batchSizePerWorker", "8")));
        java.util.Random rnd = new java.util.Random(7);
        float[][] seg = new float[2][200];
        for (int t = 0; t < 200; t++) {
            seg[0][t] = (float) Math.sin(t / 5.0) + 0.1f * (float) rnd.nextGaussian();
            seg[1][t] = (float) Math.cos(t / 7.0);
        }
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < 6; b++) {
            List<Tensors.Window> ws = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ws.add(new Tensors.Window(seg, 11 + b * 20 + i, 12));
            }
            batches.add(Tensors.minibatch(ws, 12, 3, false));
        }
        MultiLayerNetwork local = NetworkFactory.network(cfg);
        MultiLayerNetwork distributed = NetworkFactory.network(cfg);
        assertEquals(0.0, local.params().sub(distributed.params()).amaxNumber().doubleValue(), "same seed, same init");
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        for (int epoch = 0; epoch < 2; epoch++) {
            // the job deals each epoch's minibatches in a seeded order; fit() gets them in that same order
            for (int i : TrainJobAccess.oneWorkerOrder(cfg, batches.size(), epoch)) {
                local.fit(batches.get(i));
            }
            local.incrementEpochCount();
            new SparkDl4jMultiLayer(jsc, distributed, TrainJobAccess.trainingMaster(cfg, 1, epoch,
                    new long[]{batches.size()})).fit(jsc.parallelize(batches, 1));
        }
        double diff = local.params().sub(distributed.params()).amaxNumber().doubleValue();
        assertTrue(diff < 1e-6, "Spark with one worker differs from fit() by " + diff);
        assertTrue(local.params().sub(NetworkFactory.network(cfg).params()).amaxNumber().doubleValue() > 1e-3,
                "training must have moved the parameters");
    }

    @Test
    void aDamagedBundleIsRejectedWithAClearMessage() throws IOException {
        String dir = train(config("model.name=damage", "train.epochs=1"), false);
        Path d = Path.of(dir);
        Path copy = tmp.resolve("copies");
        Storage s = Storage.local();
        assertEquals(ModelBundle.resolve(s, tmp.resolve("out/models").toString(), "damage", "latest"), dir);

        Path noCal = copyBundle(d, copy.resolve("nocal"));
        Files.delete(noCal.resolve(ModelBundle.CALIBRATION));
        assertMessage(noCal, "is incomplete: missing [calibration.json]");

        Path corrupt = copyBundle(d, copy.resolve("corrupt"));
        Files.write(corrupt.resolve(ModelBundle.NETWORK), new byte[]{'n', 'o', 't', ' ', 'a', ' ', 'z', 'i', 'p'});
        assertMessage(corrupt, "network.zip is corrupt or unreadable");

        Path params = copyBundle(d, copy.resolve("params"));
        Path schema = params.resolve(ModelBundle.SCHEMA);
        Files.writeString(schema, Files.readString(schema).replaceAll("\"parameters\" : \\d+", "\"parameters\" : 7"));
        assertMessage(params, "parameters but schema.json records 7");

        Path version = copyBundle(d, copy.resolve("version"));
        Path sv = version.resolve(ModelBundle.SCHEMA);
        Files.writeString(sv, Files.readString(sv).replace("\"schemaVersion\" : 1", "\"schemaVersion\" : 99"));
        assertMessage(version, "schema version 99 is not supported");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelBundle.resolve(s, tmp.resolve("out/models").toString(), "nosuchmodel", "latest"));
        assertTrue(e.getMessage().contains("no model 'nosuchmodel'"), e.getMessage());
    }

    @Test
    void theBundleRoundTrips() throws IOException {
        String dir = train(config("model.name=roundtrip", "train.epochs=1"), false);
        ModelBundle b = ModelBundle.load(Storage.local(), dir);
        MultiLayerNetwork best = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
                tmp.resolve("out/models/roundtrip/checkpoints/best-1.zip").toFile(), false); // epoch 1 was the best
        assertEquals(0.0, best.params().sub(b.network().params()).amaxNumber().doubleValue());
        assertEquals("load_kw", b.target());
        assertEquals(48, b.lookback());
        assertEquals(24, b.horizon());
        assertEquals("1h", b.schema().path("frequency").asText());
        assertEquals(42, b.provenance().path("seed").asInt());
        assertTrue(b.provenance().path("versions").has("gitCommit"));
        assertEquals("16", b.config().path("model.units").asText());
        assertTrue(b.normalizer().hasOwnScale("sensor-03"));
    }

    /** compare on the samples: one row per type, test errors, and the gradient probe's columns from each bundle. */
    @Test
    void compareTrainsEachTypeOnTheSameSplitAndTabulates() throws IOException {
        Config c = config("output.dir=" + tmp.resolve("compare"), "model.name=cmp", "train.epochs=2",
                "window.stride=8", "compare.types=rnn,lstm_attention", "compare.gradientClips=l2",
                "compare.gradientStepsBack=10");
        String dir = CompareJob.run(spark, c, new RunReport("compare"));
        com.fasterxml.jackson.databind.JsonNode rows = Storage.local().readJson(dir + "/results.json");
        assertEquals(2, rows.size());
        for (com.fasterxml.jackson.databind.JsonNode r : rows) {
            String label = r.path("model").asText();
            assertTrue(r.path("testMse").asDouble() > 0 && r.path("testMse").asDouble() < r.path("naiveTestMse")
                    .asDouble(), label + ": test MSE " + r.path("testMse") + " vs naive " + r.path("naiveTestMse"));
            assertTrue(r.path("gradientNormFirstEpoch").asDouble() > 0, label);
            double ratio = r.path("inputGradientRatio").asDouble();
            assertTrue(ratio > 0 && Double.isFinite(ratio), label + ": " + ratio);
            assertEquals(10, r.path("inputGradientStepsBack").asInt());
            ModelBundle b = ModelBundle.load(Storage.local(), r.path("bundle").asText());
            assertEquals(48, b.metrics().path("epochs").get(1).path("inputGradientByStep").size(), label);
        }
        String table = java.nio.file.Files.readString(Path.of(dir, "results.md"));
        assertTrue(table.contains("| rnn | l2 |") && table.contains("| lstm_attention | l2 |"), table);
    }

    /**
     * train.solver=ridge through the job (statistics merged across Spark partitions): the chosen penalty has the lowest
     * validation loss of the history, and it equals the validation MSE the job scores with the bundle's network.
     */
    @Test
    void theRidgeSolverPicksThePenaltyByValidationLossAndScoresIt() throws IOException {
        String dir = train(config("model.name=ridge", "model.type=nlinear", "train.solver=ridge",
                "train.ridgeLambdas=0.001,0.1,10"), false);
        ModelBundle b = ModelBundle.load(Storage.local(), dir);
        com.fasterxml.jackson.databind.JsonNode m = b.metrics();
        assertEquals("ridge", m.path("solver").asText());
        assertEquals(3, m.path("epochs").size());
        double best = Double.POSITIVE_INFINITY;
        for (com.fasterxml.jackson.databind.JsonNode e : m.path("epochs")) {
            best = Math.min(best, e.path("validationLoss").asDouble());
        }
        assertEquals(best, m.path("bestValidationLoss").asDouble());
        assertEquals(m.path("epochs").get(m.path("bestEpoch").asInt() - 1).path("lambda").asDouble(),
                m.path("lambda").asDouble());
        double scored = m.path("validation").path("mse").asDouble();
        assertEquals(best, scored, 1e-5 * scored, "validation loss from the statistics vs the scored network");
        assertTrue(scored < m.path("validation").path("naiveMse").asDouble());
    }

    @Test
    void thePerStepHeadTrainsWithTruncatedBptt() throws IOException {
        String dir = train(config("model.name=tbptt", "train.tbptt=24", "train.epochs=2"), false);
        ModelBundle b = ModelBundle.load(Storage.local(), dir);
        assertTrue(b.perStepHead());
        double mse = b.metrics().path("validation").path("mse").asDouble();
        assertTrue(mse < b.metrics().path("validation").path("naiveMse").asDouble(), "tbptt model: " + mse);
    }

    @Test
    void badTrainingConfigIsRejectedBeforeSparkStarts() {
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.from(config("train.tbptt=100")));
        assertEquals("config key 'train.tbptt': must not exceed window.lookback=48, found 100", e.getMessage());
        e = assertThrows(ConfigException.class, () -> config("train.updater=adamw"));
        assertTrue(e.getMessage().contains("'adamw'") && e.getMessage().contains("adam | rmsprop | sgd"));
        e = assertThrows(ConfigException.class, () -> TrainConfig.from(config("model.name=../escape")));
        assertEquals("model.name", e.key());
        e = assertThrows(ConfigException.class, () -> config("model.dropout=1.5"));
        assertEquals("model.dropout", e.key());
        e = assertThrows(ConfigException.class, () -> TrainJob.run(spark, TrainConfig.from(
                config("output.dir=" + tmp.resolve("nothing-prepared"))), Config.of(java.util.Map.of()), false,
                new RunReport("train")));
        assertTrue(e.getMessage().contains("no prepared data"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> TrainJob.run(spark, TrainConfig.from(config("window.lookback=24")),
                Config.of(java.util.Map.of()), false, new RunReport("train")));
        assertEquals("window.lookback", e.key());
    }

    static Path copyBundle(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    static void assertMessage(Path bundle, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelBundle.load(Storage.local(), bundle.toString()));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
