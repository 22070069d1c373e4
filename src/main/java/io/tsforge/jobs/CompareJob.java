package io.tsforge.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.ConfigKeys;
import io.tsforge.config.PrepareConfig;
import io.tsforge.config.TrainConfig;
import io.tsforge.io.Storage;
import io.tsforge.model.ModelBundle;
import io.tsforge.spark.TrainingData;
import io.tsforge.spark.ValidationScorer;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code compare}: prepares the data once, trains every {@code compare.types} x {@code compare.gradientClips}
 * combination on the same split with the same seed and settings, scores each best model on the test windows and
 * writes one table: parameters, seconds per epoch, best validation loss, test MSE/MAE next to repeat-last-value.
 */
public final class CompareJob {

    private CompareJob() {
    }

    public static String run(SparkSession spark, Config config, RunReport report) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Storage storage = new Storage(jsc.hadoopConfiguration());
        PrepareConfig prepare = PrepareConfig.from(config);
        List<Config> runs = new ArrayList<>();
        for (String type : config.get(ConfigKeys.COMPARE_TYPES)) {
            for (String clip : config.get(ConfigKeys.COMPARE_GRADIENT_CLIPS)) {
                Config c = config.with("model.type", type).with("train.gradientClip", clip)
                        .with("model.name", config.get(ConfigKeys.MODEL_NAME) + "-" + type + "-" + clip);
                TrainConfig.from(c); // every combination is validated before any work
                runs.add(c);
            }
        }
        if (runs.isEmpty()) {
            throw new ConfigException("compare.types", "nothing to compare");
        }
        report.stage("prepare");
        RunReport prep = new RunReport("prepare");
        PrepareJob.run(spark, prepare, prep);
        prep.endStage();
        prep.writeSummary(storage, prepare.outputDir(), "succeeded", config.effective(), null);

        ArrayNode rows = Storage.JSON.createArrayNode();
        for (Config c : runs) {
            TrainConfig cfg = TrainConfig.from(c);
            String label = cfg.model().type().name().toLowerCase(Locale.ROOT) + " / clip "
                    + cfg.optim().clip().name().toLowerCase(Locale.ROOT);
            report.stage("train " + label);
            RunReport train = new RunReport("train");
            String dir = TrainJob.run(spark, cfg, c, false, train);
            train.endStage();
            ModelBundle b = ModelBundle.load(storage, dir);
            report.stage("test " + label);
            JavaRDD<TrainingData.SegmentWindows> test = TrainingData.load(spark, cfg.preparedDir(), "test",
                    jsc.defaultParallelism());
            Broadcast<byte[]> bytes = jsc.broadcast(ModelBundle.networkBytes(b.network(), false));
            ValidationScorer.Totals t = ValidationScorer.score(test, bytes, cfg.lookback(), cfg.horizon(),
                    b.perStepHead(), 256);
            bytes.destroy();
            ObjectNode r = rows.addObject();
            r.put("model", cfg.model().type().name().toLowerCase(Locale.ROOT));
            r.put("gradientClip", cfg.optim().clip().name().toLowerCase(Locale.ROOT));
            r.put("parameters", b.network().numParams());
            JsonNode epochs = b.metrics().path("epochs");
            double seconds = 0;
            for (JsonNode e : epochs) {
                seconds += e.path("trainSeconds").asDouble();
            }
            r.put("epochs", epochs.size());
            r.put("secondsPerEpoch", seconds / Math.max(1, epochs.size()));
            r.put("bestEpoch", b.metrics().path("bestEpoch").asInt());
            r.put("bestValidationLoss", b.metrics().path("bestValidationLoss").asDouble());
            gradients(r, epochs, config.isSet(ConfigKeys.COMPARE_GRADIENT_STEPS_BACK)
                    ? config.get(ConfigKeys.COMPARE_GRADIENT_STEPS_BACK) : cfg.lookback() - 1);
            r.put("testMse", t.mse());
            r.put("testMae", t.mae());
            r.put("naiveTestMse", t.naiveMse());
            r.put("naiveTestMae", t.naiveMae());
            r.put("bundle", dir);
            report.log(String.format(Locale.ROOT, "%s: test MSE %.4f (naive %.4f), %.1f s/epoch", label, t.mse(),
                    t.naiveMse(), seconds / Math.max(1, epochs.size())));
        }
        report.stage("write");
        String dir = config.get(ConfigKeys.OUTPUT_DIR) + "/compare";
        storage.writeJson(dir + "/results.json", rows);
        String table = table(rows, prepare, config);
        try (FSDataOutputStream out = storage.fs(dir).create(new Path(dir, "results.md"), true)) {
            out.write(table.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println();
        System.out.print(table);
        report.count("runs", rows.size());
        report.count("results", dir + "/results.md");
        return dir;
    }

    /**
     * From the gradient probe of the first and last epochs: the raw gradient norms, and the input gradient
     * {@code stepsBack} steps before the newest input relative to the newest (how far back the loss still reacts).
     */
    static void gradients(ObjectNode r, JsonNode epochs, int stepsBack) {
        if (epochs.size() == 0 || !epochs.get(0).has("gradientNorm")) {
            return;
        }
        JsonNode last = epochs.get(epochs.size() - 1);
        r.put("gradientNormFirstEpoch", epochs.get(0).path("gradientNorm").asDouble());
        r.put("gradientNormLastEpoch", last.path("gradientNorm").asDouble());
        JsonNode byStep = last.path("inputGradientByStep");
        int i = byStep.size() - 1 - stepsBack;
        double newest = byStep.get(byStep.size() - 1).asDouble();
        if (i >= 0 && newest > 0) {
            r.put("inputGradientStepsBack", stepsBack);
            r.put("inputGradientRatio", byStep.get(i).asDouble() / newest);
        }
    }

    static String table(ArrayNode rows, PrepareConfig prepare, Config config) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Data %s, lookback %d, horizon %d, %s epochs at most (patience %s), "
                        + "units %s, seed %s. MSE/MAE on the normalized scale, every test window.%n%n",
                prepare.input().path(), prepare.window().lookback(), prepare.window().horizon(),
                config.get(ConfigKeys.TRAIN_EPOCHS), config.get(ConfigKeys.TRAIN_PATIENCE),
                config.get(ConfigKeys.MODEL_UNITS), config.get(ConfigKeys.TRAIN_SEED)));
        sb.append("| model | gradient clip | parameters | s/epoch | epochs (best) | best val loss | test MSE | "
                + "test MAE | repeat-last MSE / MAE | gradient norm, epoch 1 -> last | input gradient k back / "
                + "newest (k) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (JsonNode r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,d | %.1f | %d (%d) | %.4f | %.4f | %.4f | %.4f / %.4f "
                            + "| %s | %s |%n",
                    r.path("model").asText(), r.path("gradientClip").asText(), r.path("parameters").asLong(),
                    r.path("secondsPerEpoch").asDouble(), r.path("epochs").asInt(), r.path("bestEpoch").asInt(),
                    r.path("bestValidationLoss").asDouble(), r.path("testMse").asDouble(),
                    r.path("testMae").asDouble(), r.path("naiveTestMse").asDouble(),
                    r.path("naiveTestMae").asDouble(),
                    r.has("gradientNormFirstEpoch") ? String.format(Locale.ROOT, "%.3g -> %.3g",
                            r.path("gradientNormFirstEpoch").asDouble(), r.path("gradientNormLastEpoch").asDouble())
                            : "-",
                    r.has("inputGradientRatio") ? String.format(Locale.ROOT, "%.2g (%d)",
                            r.path("inputGradientRatio").asDouble(), r.path("inputGradientStepsBack").asInt())
                            : "-"));
        }
        return sb.toString();
    }
}
