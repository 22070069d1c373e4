package io.tsforge.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.ConfigKeys;
import io.tsforge.config.TrainConfig;
import io.tsforge.core.ResidualCalibration;
import io.tsforge.core.StatsAccumulator;
import io.tsforge.io.Storage;
import io.tsforge.model.GradientProbe;
import io.tsforge.model.LinearForecastLayer;
import io.tsforge.model.ModelBundle;
import io.tsforge.model.NetworkFactory;
import io.tsforge.model.RidgeFit;
import io.tsforge.spark.EpochLoop;
import io.tsforge.spark.PreparedLayout;
import io.tsforge.spark.RoundTrainingMaster;
import io.tsforge.spark.TrainingData;
import io.tsforge.spark.ValidationScorer;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.RepartitionStrategy;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code train}: one global recurrent forecaster over all series' training windows, trained across executors with
 * parameter averaging. After every epoch: training and validation loss, a checkpoint, and early stopping on the
 * validation loss (the best epoch's network is kept). The result is a new model bundle version.
 */
public final class TrainJob {

    /** Minimum validation residuals a series needs per step to get its own calibration. */
    static final int MIN_CALIBRATION_COUNT = 20;

    private TrainJob() {
    }

    /** Progress of a training run, saved with each checkpoint so that {@code --resume} continues it. */
    static final class State {
        int nextEpoch;
        int bestEpoch = -1;
        double bestValLoss = Double.POSITIVE_INFINITY;
        final ArrayNode history = Storage.JSON.createArrayNode();

        ObjectNode toJson() {
            ObjectNode n = Storage.JSON.createObjectNode();
            n.put("nextEpoch", nextEpoch);
            n.put("bestEpoch", bestEpoch);
            n.put("bestValLoss", bestValLoss);
            n.set("history", history);
            return n;
        }

        static State fromJson(JsonNode n) {
            State s = new State();
            s.nextEpoch = n.path("nextEpoch").asInt();
            s.bestEpoch = n.path("bestEpoch").asInt();
            s.bestValLoss = n.path("bestValLoss").asDouble();
            n.path("history").forEach(s.history::add);
            return s;
        }
    }

    public static String run(SparkSession spark, TrainConfig cfg, Config config, boolean resume, RunReport report) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Storage storage = new Storage(jsc.hadoopConfiguration());
        JsonNode prepared = checkPrepared(storage, cfg);
        int workers = cfg.dist().workers() > 0 ? cfg.dist().workers() : jsc.defaultParallelism();
        boolean perStep = cfg.optim().tbptt() > 0;
        int batch = cfg.dist().batchSize();

        report.stage("load-windows");
        JavaRDD<TrainingData.SegmentWindows> trainSegs = TrainingData.load(spark, cfg.preparedDir(), "train", workers)
                .persist(StorageLevel.MEMORY_AND_DISK());
        JavaRDD<TrainingData.SegmentWindows> valSegs = TrainingData.load(spark, cfg.preparedDir(), "validation",
                workers).persist(StorageLevel.MEMORY_AND_DISK());
        StorageLevel level = StorageLevel.fromString(cfg.dist().storage().name());
        JavaRDD<DataSet> trainBatches = TrainingData.balance(TrainingData.minibatches(trainSegs, batch,
                cfg.lookback(), cfg.horizon(), perStep, true, cfg.seed()), workers).persist(level);
        JavaRDD<DataSet> valBatches = TrainingData.minibatches(valSegs, batch, cfg.lookback(), cfg.horizon(),
                perStep, false, cfg.seed()).persist(level);
        long trainWindows = trainBatches.map(d -> (long) d.numExamples()).fold(0L, Long::sum);
        long[] trainPartitions = TrainingData.partitionSizes(trainBatches);
        long valWindows = valBatches.map(d -> (long) d.numExamples()).fold(0L, Long::sum);
        if (trainWindows == 0 || valWindows == 0) {
            throw new IllegalStateException("training needs windows in both splits, found train=" + trainWindows
                    + " validation=" + valWindows + " in " + cfg.preparedDir() + "/windows");
        }
        report.count("windows_train", trainWindows);
        report.count("windows_validation", valWindows);
        report.count("workers", workers);
        report.log(String.format(Locale.ROOT, "%,d training and %,d validation windows, %d workers, minibatch %d",
                trainWindows, valWindows, workers, batch));

        DataSet probe = cfg.gradientProbe() > 0 ? probe(trainBatches, cfg.gradientProbe(), batch) : null;

        report.stage("train");
        Checkpoints ckpt = new Checkpoints(storage, cfg.checkpointDir());
        MultiLayerNetwork net;
        State state;
        JsonNode saved = resume ? ckpt.latestState() : null;
        if (saved != null) {
            state = State.fromJson(saved);
            net = ckpt.restore(Checkpoints.last(saved));
            report.log("resuming after epoch " + state.nextEpoch + " from " + cfg.checkpointDir());
        } else {
            if (resume) {
                report.log("--resume: no checkpoint in " + cfg.checkpointDir() + ", starting afresh");
            }
            ckpt.clear();
            net = NetworkFactory.network(cfg);
            state = new State();
        }
        report.count("parameters", net.numParams());
        if (cfg.solver() == ConfigKeys.Solver.RIDGE) {
            // one pass: least squares needs no epochs, and a resumed run solves again
            state = ridge(net, trainBatches, valBatches, cfg, report);
            ckpt.commit(net, true, state);
        }
        if (cfg.solver() == ConfigKeys.Solver.SGD && state.nextEpoch < cfg.epochs()) {
            // The epochs (EpochLoop): with the default rpc averaging one Spark job whose tasks also score every
            // epoch, waiting while the listener below records it, checkpoints and decides on early stopping. A
            // training master per epoch, seeded by the epoch: the split of the data into averaging rounds is then the
            // same whether or not the run was interrupted and resumed (the deal to the workers has one seed for all
            // epochs, each epoch's order over the rounds the epoch's).
            Epochs epochs = new Epochs(net, cfg, state, ckpt, probe, trainWindows, report);
            try {
                EpochLoop.run(jsc, net, e -> trainingMaster(cfg, workers, e, trainPartitions), trainBatches,
                        valBatches, cfg.evalTrainLoss(), batch, state.nextEpoch, cfg.epochs(), epochs);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("training failed: " + e.getMessage(), e);
            }
        }
        // the deal kept for the epochs (train.averagingRounds=rpc) is no longer needed
        RoundTrainingMaster.releaseKeptDeal();
        MultiLayerNetwork best = ckpt.restore(Checkpoints.best(ckpt.latestState()));

        report.stage("calibrate");
        Broadcast<byte[]> bytes = jsc.broadcast(ModelBundle.networkBytes(best, false));
        ValidationScorer.Totals val = ValidationScorer.score(valSegs, bytes, cfg.lookback(), cfg.horizon(), perStep,
                batch);
        bytes.destroy();
        Map<String, StatsAccumulator[]> residuals = new TreeMap<>(val.residuals);
        ResidualCalibration calibration = ResidualCalibration.fit(cfg.horizon(), residuals, MIN_CALIBRATION_COUNT);
        report.log(String.format(Locale.ROOT, "validation MSE %.5f (repeat-last-value %.5f), MAE %.5f (%.5f)",
                val.mse(), val.naiveMse(), val.mae(), val.naiveMae()));

        report.stage("write-bundle");
        ObjectNode metrics = Storage.JSON.createObjectNode();
        metrics.set("epochs", state.history);
        metrics.put("bestEpoch", state.bestEpoch + 1);
        metrics.put("bestValidationLoss", state.bestValLoss);
        metrics.put("solver", cfg.solver().name().toLowerCase(Locale.ROOT));
        if (cfg.solver() == ConfigKeys.Solver.RIDGE) {
            metrics.put("lambda", state.history.get(state.bestEpoch).path("lambda").asDouble());
        }
        ObjectNode v = metrics.putObject("validation");
        v.put("mse", val.mse());
        v.put("mae", val.mae());
        v.put("naiveMse", val.naiveMse());
        v.put("naiveMae", val.naiveMae());
        v.put("values", val.values);
        v.put("scale", "normalized");
        String dir = ModelBundle.write(storage, cfg.registry(), cfg.name(), best,
                storage.readJson(cfg.preparedDir() + "/" + PreparedLayout.STATS), schema(cfg, prepared, best),
                calibration, Storage.JSON.valueToTree(config.effective()), provenance(cfg, prepared, trainWindows,
                        valWindows, workers), metrics);
        report.count("bundle", dir);
        report.count("best_epoch", state.bestEpoch + 1);
        report.count("best_validation_loss", state.bestValLoss);
        report.count("validation_mse", val.mse());
        report.count("validation_naive_mse", val.naiveMse());
        report.log("model bundle: " + dir);
        trainBatches.unpersist(false);
        valBatches.unpersist(false);
        trainSegs.unpersist(false);
        valSegs.unpersist(false);
        return dir;
    }

    /**
     * After every epoch: its losses and timings in the history, the gradient probe, the checkpoint (the best network
     * kept), the log line, and early stopping on the validation loss.
     */
    private static final class Epochs implements EpochLoop.Listener {
        private final MultiLayerNetwork net;
        private final TrainConfig cfg;
        private final State state;
        private final Checkpoints ckpt;
        private final DataSet probe;
        private final long trainWindows;
        private final RunReport report;
        private final long start = System.nanoTime();
        private int run;
        /** The learning rate the next epoch starts with. */
        private Double lr;

        Epochs(MultiLayerNetwork net, TrainConfig cfg, State state, Checkpoints ckpt, DataSet probe, long trainWindows,
               RunReport report) {
            this.net = net;
            this.cfg = cfg;
            this.state = state;
            this.ckpt = ckpt;
            this.probe = probe;
            this.trainWindows = trainWindows;
            this.report = report;
            this.lr = net.getLearningRate(0);
        }

        @Override
        public boolean ended(EpochLoop.Ended e) {
            int epoch = e.epoch();
            double trainLoss = cfg.evalTrainLoss() ? e.trainLoss() : e.score();
            double valLoss = e.validationLoss();
            run++;
            boolean better = valLoss < state.bestValLoss;
            if (better) {
                state.bestValLoss = valLoss;
                state.bestEpoch = epoch;
            }
            ObjectNode h = state.history.addObject();
            h.put("epoch", epoch + 1);
            h.put("trainLoss", trainLoss);
            h.put("validationLoss", valLoss);
            h.put("trainSeconds", e.trainSeconds());
            h.put("seconds", e.seconds());
            h.put("samplesPerSecond", trainWindows / e.trainSeconds());
            h.put("learningRate", lr == null ? Double.NaN : lr);
            String gradients = "";
            if (probe != null) {
                GradientProbe.Result g = GradientProbe.measure(net, probe);
                h.put("gradientNorm", g.gradientNorm());
                ArrayNode a = h.putArray("inputGradientByStep");
                for (double v : g.inputGradientByStep()) {
                    a.add(v);
                }
                gradients = String.format(Locale.ROOT, "  |grad| %.3g, input grad oldest/newest %.2g",
                        g.gradientNorm(), g.reach());
            }
            state.nextEpoch = epoch + 1;
            ckpt.commit(net, better, state);
            double perEpoch = (System.nanoTime() - start) / 1e9 / run;
            report.log(String.format(Locale.ROOT, "epoch %d/%d  train %.5f  validation %.5f%s  %.1f s "
                            + "(%,.0f windows/s)  ETA %.0f s%s", epoch + 1, cfg.epochs(), trainLoss, valLoss,
                    better ? " (best)" : "", e.seconds(), trainWindows / e.trainSeconds(),
                    perEpoch * (cfg.epochs() - epoch - 1), gradients));
            lr = net.getLearningRate(0);
            if (cfg.patience() > 0 && epoch - state.bestEpoch >= cfg.patience()) {
                report.log(String.format(Locale.ROOT, "early stop: no better validation loss for %d epochs (best "
                        + "%.5f at epoch %d)", cfg.patience(), state.bestValLoss, state.bestEpoch + 1));
                return false;
            }
            return true;
        }
    }

    /**
     * {@code train.solver=ridge}: the sufficient statistics of the training and validation windows (one pass each,
     * merged across partitions), the least-squares solution for every penalty, and the one with the lowest validation
     * loss written into {@code net}. Each penalty is one history entry (in place of an epoch).
     */
    static State ridge(MultiLayerNetwork net, JavaRDD<DataSet> trainBatches, JavaRDD<DataSet> valBatches,
                       TrainConfig cfg, RunReport report) {
        long t0 = System.nanoTime();
        LinearForecastLayer layer = RidgeFit.layer(net);
        LinearForecastLayer.Kind kind = layer.getKind();
        RidgeFit.Stats train = trainBatches.treeAggregate(RidgeFit.stats(layer), (s, d) -> s.add(d, kind),
                RidgeFit.Stats::merge);
        RidgeFit.Stats validation = valBatches.treeAggregate(RidgeFit.stats(layer), (s, d) -> s.add(d, kind),
                RidgeFit.Stats::merge);
        double passSeconds = (System.nanoTime() - t0) / 1e9;
        List<RidgeFit.Solution> solutions = RidgeFit.solve(train, validation, cfg.ridgeLambdas());
        RidgeFit.Solution best = RidgeFit.best(solutions);
        double seconds = (System.nanoTime() - t0) / 1e9;
        report.log(String.format(Locale.ROOT, "ridge: statistics of %,d training and %,d validation windows in %.1f "
                + "s, %d penalties solved in %.1f s", train.count(), validation.count(), passSeconds,
                solutions.size(), seconds - passSeconds));
        State state = new State();
        for (int i = 0; i < solutions.size(); i++) {
            RidgeFit.Solution s = solutions.get(i);
            boolean isBest = s == best;
            if (isBest) {
                state.bestEpoch = i;
                state.bestValLoss = s.validationLoss();
            }
            ObjectNode h = state.history.addObject();
            h.put("epoch", i + 1);
            h.put("lambda", s.lambda());
            h.put("trainLoss", s.trainLoss());
            h.put("validationLoss", s.validationLoss());
            h.put("seconds", seconds / solutions.size());
            report.log(String.format(Locale.ROOT, "ridge lambda %-8s train %.5f  validation %.5f%s",
                    BigDecimal.valueOf(s.lambda()).stripTrailingZeros().toPlainString(), s.trainLoss(),
                    s.validationLoss(), isBest ? " (chosen)" : ""));
        }
        RidgeFit.apply(net, best);
        state.nextEpoch = solutions.size();
        return state;
    }

    /** The first training minibatches, up to {@code windows} windows, merged: the gradient probe's fixed input. */
    static DataSet probe(JavaRDD<DataSet> batches, int windows, int batch) {
        List<DataSet> parts = new ArrayList<>();
        int n = 0;
        for (DataSet d : batches.take((windows + batch - 1) / batch + 1)) {
            if (n >= windows) {
                break;
            }
            parts.add(d);
            n += d.numExamples();
        }
        DataSet merged = DataSet.merge(parts);
        return n > windows ? (DataSet) merged.getRange(0, windows) : merged;
    }

    /**
     * The epoch's training master: DL4J's parameter averaging, with the rounds dealt by {@link RoundTrainingMaster}
     * from {@code partitionSizes}, the minibatches in each partition of the RDD it will fit.
     */
    public static ParameterAveragingTrainingMaster trainingMaster(TrainConfig cfg, int workers, int epoch,
                                                                  long[] partitionSizes) {
        return new RoundTrainingMaster(builder(cfg, workers, epoch), workers, cfg.dist().averagingFrequency(),
                dealSeed(cfg), epochSeed(cfg, epoch), partitionSizes, cfg.dist().averagingRounds());
    }

    /** The seed of the deal of the minibatches to the workers: the same every epoch (a worker keeps its share). */
    public static long dealSeed(TrainConfig cfg) {
        return cfg.seed() * 7919L;
    }

    /** The seed of an epoch's order of each worker's minibatches over the averaging rounds. */
    public static long epochSeed(TrainConfig cfg, int epoch) {
        return cfg.seed() * 7919L + epoch;
    }

    /** DL4J's own master with the same settings (rounds found by {@code balancedRandomSplit}): the bench's "before". */
    public static ParameterAveragingTrainingMaster dl4jTrainingMaster(TrainConfig cfg, int workers, int epoch) {
        return dl4jTrainingMaster(cfg, workers, epoch, null);
    }

    /**
     * {@link #dl4jTrainingMaster(TrainConfig, int, int)}, with DL4J's Export approach when {@code exportDirectory} is
     * not null (the master writes every minibatch to a file under that directory once, and the workers read the files
     * back) instead of Direct: the bench's measure of that lever. The directory must be one every executor sees.
     */
    public static ParameterAveragingTrainingMaster dl4jTrainingMaster(TrainConfig cfg, int workers, int epoch,
                                                                      String exportDirectory) {
        ParameterAveragingTrainingMaster.Builder b = builder(cfg, workers, epoch);
        if (exportDirectory != null) {
            b.rddTrainingApproach(RDDTrainingApproach.Export).exportDirectory(exportDirectory);
        }
        return b.build();
    }

    private static ParameterAveragingTrainingMaster.Builder builder(TrainConfig cfg, int workers, int epoch) {
        return new ParameterAveragingTrainingMaster.Builder(workers, cfg.dist().batchSize())
                .batchSizePerWorker(cfg.dist().batchSize())
                .averagingFrequency(cfg.dist().averagingFrequency())
                .workerPrefetchNumBatches(cfg.dist().prefetch())
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(switch (cfg.dist().repartition()) {
                    case ALWAYS -> Repartition.Always;
                    case NEVER -> Repartition.Never;
                    case NUM_PARTITIONS_WORKERS_DIFFERS -> Repartition.NumPartitionsWorkersDiffers;
                })
                .repartitionStrategy(switch (cfg.dist().repartitionStrategy()) {
                    case BALANCED -> RepartitionStrategy.Balanced;
                    case APPROXIMATE_BALANCED -> RepartitionStrategy.ApproximateBalanced;
                    case SPARK_DEFAULT -> RepartitionStrategy.SparkDefault;
                })
                .storageLevel(StorageLevel.fromString(cfg.dist().storage().name()))
                .rngSeed(cfg.seed() * 7919L + epoch)
                .collectTrainingStats(false);
    }

    /** Prepare's summary, checked against the train config before any Spark work. */
    static JsonNode checkPrepared(Storage storage, TrainConfig cfg) {
        String summary = cfg.preparedDir() + "/" + PreparedLayout.SUMMARY;
        if (!storage.exists(summary)) {
            throw new ConfigException("output.dir", "no prepared data: " + summary + " does not exist (run prepare "
                    + "first, or the pipeline)");
        }
        JsonNode s = storage.readJson(summary);
        JsonNode c = s.path("config");
        check(c, "window.lookback", Integer.toString(cfg.lookback()));
        check(c, "window.horizon", Integer.toString(cfg.horizon()));
        check(c, "input.valueColumns", String.join(",", cfg.features()));
        return s;
    }

    private static void check(JsonNode preparedConfig, String key, String expected) {
        String found = preparedConfig.path(key).asText().replace(" ", "");
        if (!found.equals(expected.replace(" ", ""))) {
            throw new ConfigException(key, "the prepared data was cut with " + key + "=" + found + " but this run "
                    + "asks for " + expected + "; re-run prepare");
        }
    }

    static ObjectNode schema(TrainConfig cfg, JsonNode prepared, MultiLayerNetwork net) {
        ObjectNode s = Storage.JSON.createObjectNode();
        s.put("schemaVersion", ModelBundle.SCHEMA_VERSION);
        s.put("target", cfg.features().get(0));
        ArrayNode f = s.putArray("features");
        cfg.features().forEach(f::add);
        ArrayNode cov = s.putArray("covariates");
        cfg.features().subList(1, cfg.features().size()).forEach(cov::add);
        s.put("frequency", prepared.path("config").path("series.frequency").asText());
        s.put("lookback", cfg.lookback());
        s.put("horizon", cfg.horizon());
        s.put("modelType", cfg.model().type().name().toLowerCase(Locale.ROOT));
        s.put("layers", cfg.model().layers());
        s.put("units", cfg.model().units());
        s.put("perStepHead", cfg.optim().tbptt() > 0);
        s.put("parameters", net.numParams());
        s.put("normalization", prepared.path("config").path("normalize.method").asText());
        return s;
    }

    static ObjectNode provenance(TrainConfig cfg, JsonNode prepared, long trainWindows, long valWindows,
                                 int workers) {
        ObjectNode p = Storage.JSON.createObjectNode();
        p.put("created", Instant.now().toString());
        p.set("versions", Storage.JSON.valueToTree(Versions.all()));
        p.put("seed", cfg.seed());
        p.put("preparedData", cfg.preparedDir());
        p.put("preparedAt", prepared.path("started").asText());
        ObjectNode d = p.putObject("data");
        JsonNode pc = prepared.path("config");
        for (String k : new String[]{"input.path", "split.trainEnd", "split.validationEnd", "split.testEnd",
                "split.trainFraction", "split.validationFraction"}) {
            if (pc.has(k)) {
                d.put(k, pc.path(k).asText());
            }
        }
        d.set("prepareCounts", prepared.path("counts"));
        p.put("trainWindows", trainWindows);
        p.put("validationWindows", valWindows);
        p.put("workers", workers);
        return p;
    }

    /**
     * Checkpoints on any Hadoop file system. Epoch N (counted from 1) saves {@code last-N.zip}, {@code best-N.zip} when
     * it is the best so far, then commits by creating {@code state-N.json} (progress, history, and the names of the
     * last and best networks), each file written whole under a temporary name and renamed to a name that did not
     * exist. The newest state file is the checkpoint: a crash at any point leaves the previous epoch's state naming
     * files that are all complete (the files of older epochs are deleted only after the commit). Checkpoints of
     * earlier builds ({@code state.json}, {@code last.zip}, {@code best.zip}) are still read.
     */
    static final class Checkpoints {
        private static final java.util.regex.Pattern STATE = java.util.regex.Pattern.compile("state-(\\d+)\\.json");
        /** The files checkpoints consist of (only these are ever deleted: the folder may be shared). */
        private static final java.util.regex.Pattern OURS = java.util.regex.Pattern.compile(
                "\\.?(state(-\\d+)?\\.json|(last|best)(-\\d+)?\\.zip)(\\.tmp)?");
        private final Storage storage;
        private final String dir;

        Checkpoints(Storage storage, String dir) {
            this.storage = storage;
            this.dir = dir;
        }

        String path(String name) {
            return dir + "/" + name;
        }

        static String last(JsonNode state) {
            return state.path("last").asText("last.zip");
        }

        static String best(JsonNode state) {
            return state.path("best").asText("best.zip");
        }

        /** The newest committed state, or null when there is no checkpoint. */
        JsonNode latestState() {
            FileSystem fs = storage.fs(dir);
            try {
                int newest = -1;
                if (fs.exists(new Path(dir))) {
                    for (FileStatus s : fs.listStatus(new Path(dir))) {
                        java.util.regex.Matcher m = STATE.matcher(s.getPath().getName());
                        if (m.matches()) {
                            newest = Math.max(newest, Integer.parseInt(m.group(1)));
                        }
                    }
                }
                if (newest >= 0) {
                    return storage.readJson(path("state-" + newest + ".json"));
                }
                boolean legacy = fs.exists(new Path(dir, "state.json")) && fs.exists(new Path(dir, "last.zip"));
                return legacy ? storage.readJson(path("state.json")) : null;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list checkpoints in " + dir + ": " + e.getMessage(), e);
            }
        }

        /** Saves epoch {@code state.nextEpoch}'s network (and best network) and commits its state. */
        void commit(MultiLayerNetwork net, boolean better, State state) {
            int n = state.nextEpoch;
            JsonNode previous = latestState();
            String best = better || previous == null ? "best-" + n + ".zip" : best(previous);
            save(net, "last-" + n + ".zip");
            if (better || previous == null) {
                save(net, best);
            }
            ObjectNode json = state.toJson();
            json.put("last", "last-" + n + ".zip");
            json.put("best", best);
            write(json, "state-" + n + ".json");
            // the commit is done: every other checkpoint file is an older epoch's
            delete(java.util.Set.of("last-" + n + ".zip", best, "state-" + n + ".json"));
        }

        /** Deletes every checkpoint file (a run that does not resume starts from nothing). */
        void clear() {
            delete(java.util.Set.of());
        }

        private void delete(java.util.Set<String> keep) {
            FileSystem fs = storage.fs(dir);
            try {
                if (!fs.exists(new Path(dir))) {
                    return;
                }
                for (FileStatus s : fs.listStatus(new Path(dir))) {
                    String name = s.getPath().getName();
                    if (s.isFile() && OURS.matcher(name).matches() && !keep.contains(name)) {
                        fs.delete(s.getPath(), false);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete old checkpoints in " + dir + ": " + e.getMessage(), e);
            }
        }

        private void write(JsonNode json, String name) {
            FileSystem fs = storage.fs(dir);
            Path tmp = new Path(dir, "." + name + ".tmp");
            try {
                fs.mkdirs(new Path(dir));
                try (FSDataOutputStream out = fs.create(tmp, true)) {
                    Storage.JSON.writeValue((java.io.OutputStream) out, json);
                }
                rename(fs, tmp, new Path(dir, name));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write checkpoint " + path(name) + ": " + e.getMessage(), e);
            }
        }

        void save(MultiLayerNetwork net, String name) {
            FileSystem fs = storage.fs(dir);
            Path tmp = new Path(dir, "." + name + ".tmp");
            try {
                fs.mkdirs(new Path(dir));
                try (FSDataOutputStream out = fs.create(tmp, true)) {
                    ModelSerializer.writeModel(net, out, true);
                }
                rename(fs, tmp, new Path(dir, name));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write checkpoint " + path(name) + ": " + e.getMessage(), e);
            }
        }

        private static void rename(FileSystem fs, Path tmp, Path dest) throws IOException {
            fs.delete(dest, false);
            if (!fs.rename(tmp, dest)) {
                throw new IOException("rename " + tmp + " -> " + dest + " failed");
            }
        }

        MultiLayerNetwork restore(String name) {
            try (FSDataInputStream in = storage.fs(dir).open(new Path(dir, name))) {
                return ModelSerializer.restoreMultiLayerNetwork(in, true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read checkpoint " + path(name) + ": " + e.getMessage(), e);
            }
        }
    }
}
