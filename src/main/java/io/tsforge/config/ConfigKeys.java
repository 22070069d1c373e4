package io.tsforge.config;

import io.tsforge.core.Frequency;
import io.tsforge.core.Normalization;
import io.tsforge.core.RawRowParser;
import io.tsforge.core.ResampleSpec;
import io.tsforge.core.WindowSpec;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every configuration key of every job, declared once. The usage text, the README's key reference and the
 * unknown-key check all come from this list. Keys under {@code spark.} are passed to Spark as they are.
 */
public final class ConfigKeys {

    private static final List<ConfigKey<?>> ALL = new ArrayList<>();

    /** Input formats {@code prepare} reads. */
    public enum InputFormat { CSV, PARQUET, JSON }

    /** Table formats for human-facing outputs. */
    public enum OutputFormat { PARQUET, CSV }

    private static <T> ConfigKey<T> add(ConfigKey<T> key) {
        ALL.add(key);
        return key;
    }

    /** A comma-separated list of finite numbers > 0. */
    static List<Double> positiveNumbers(String s) {
        List<Double> out = new ArrayList<>();
        for (String item : s.split(",")) {
            String t = item.trim();
            double v;
            try {
                v = Double.parseDouble(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + t + "' is not a number");
            }
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("every item must be a finite number > 0, found " + t);
            }
            out.add(v);
        }
        return List.copyOf(out);
    }

    // input.*
    public static final ConfigKey<String> INPUT_PATH = add(ConfigKey.string("input.path", null, true,
            "file, folder or glob of raw readings"));
    public static final ConfigKey<InputFormat> INPUT_FORMAT = add(ConfigKey.choice("input.format", InputFormat.class,
            InputFormat.CSV, "input file format (json = JSON lines)"));
    public static final ConfigKey<String> INPUT_ID_COLUMN = add(ConfigKey.string("input.idColumn", null, false,
            "series id column (long format); leave unset for wide input holding one series"));
    public static final ConfigKey<String> INPUT_TIME_COLUMN = add(ConfigKey.string("input.timeColumn", null, true,
            "timestamp column"));
    public static final ConfigKey<List<String>> INPUT_VALUE_COLUMNS = add(ConfigKey.list("input.valueColumns", null,
            true, "value columns; the first is the forecast target, the rest are covariates"));
    public static final ConfigKey<String> INPUT_SERIES_NAME = add(ConfigKey.string("input.seriesName", "series", false,
            "series id given to wide input (no id column)"));
    public static final ConfigKey<ZoneId> INPUT_TIMEZONE = add(ConfigKey.custom("input.timezone", "a time zone id",
            "UTC", false, "zone of timestamps written without an offset", ZoneId::of));
    public static final ConfigKey<String> INPUT_TIME_FORMAT = add(ConfigKey.string("input.timeFormat", "auto", false,
            "auto (ISO-8601, yyyy-MM-dd HH:mm:ss, epoch s/ms) | epoch_s | epoch_ms | pattern:<DateTimeFormatter>"));
    public static final ConfigKey<RawRowParser.NonFinite> INPUT_NON_FINITE = add(ConfigKey.choice("input.nonFinite",
            RawRowParser.NonFinite.class, RawRowParser.NonFinite.QUARANTINE,
            "NaN/Infinity values: quarantine the row, or fill them like a gap"));
    public static final ConfigKey<String> INPUT_CSV_DELIMITER = add(ConfigKey.string("input.csvDelimiter", ",", false,
            "CSV field delimiter"));

    // series.*
    public static final ConfigKey<Frequency> SERIES_FREQUENCY = add(ConfigKey.custom("series.frequency",
            "a frequency like 30s, 5min, 1h, 1d", null, true, "the step every series is resampled to",
            Frequency::parse));
    public static final ConfigKey<ResampleSpec.Aggregation> SERIES_AGGREGATION = add(ConfigKey.choice(
            "series.aggregation", ResampleSpec.Aggregation.class, ResampleSpec.Aggregation.MEAN,
            "how readings within one step are combined"));
    public static final ConfigKey<ResampleSpec.Duplicates> SERIES_DUPLICATES = add(ConfigKey.choice(
            "series.duplicates", ResampleSpec.Duplicates.class, ResampleSpec.Duplicates.LAST,
            "which reading wins when a series repeats a timestamp (last/first in input order, or their mean)"));
    public static final ConfigKey<Integer> SERIES_MAX_GAP_FILL = add(ConfigKey.integer("series.maxGapFill", 3, 0,
            "gaps of up to this many missing steps are filled; a longer gap starts a new segment"));
    public static final ConfigKey<ResampleSpec.GapFill> SERIES_GAP_FILL = add(ConfigKey.choice("series.gapFill",
            ResampleSpec.GapFill.class, ResampleSpec.GapFill.LINEAR, "how short gaps are filled"));
    public static final ConfigKey<Integer> SERIES_PARTITIONS = add(ConfigKey.integer("series.partitions", 0, 0,
            "partitions for the per-series stage; 0 = Spark's default parallelism"));

    // split.*
    public static final ConfigKey<String> SPLIT_TRAIN_END = add(ConfigKey.string("split.trainEnd", null, false,
            "absolute split: first timestamp after the training range (set with split.validationEnd)"));
    public static final ConfigKey<String> SPLIT_VALIDATION_END = add(ConfigKey.string("split.validationEnd", null,
            false, "absolute split: first timestamp after the validation range"));
    public static final ConfigKey<String> SPLIT_TEST_END = add(ConfigKey.string("split.testEnd", null, false,
            "optional: first timestamp after the test range; later steps are used by no window"));
    public static final ConfigKey<Double> SPLIT_TRAIN_FRACTION = add(ConfigKey.number("split.trainFraction", "0.7",
            0.0, 1.0, "fractional split: share of each series' steps used for training"));
    public static final ConfigKey<Double> SPLIT_VALIDATION_FRACTION = add(ConfigKey.number(
            "split.validationFraction", "0.15", 0.0, 1.0, "fractional split: share used for validation"));

    // normalize.*
    public static final ConfigKey<Normalization> NORMALIZE_METHOD = add(ConfigKey.choice("normalize.method",
            Normalization.class, Normalization.ZSCORE,
            "per-series, per-feature scaling fitted on the training range"));

    // window.*
    public static final ConfigKey<Integer> WINDOW_LOOKBACK = add(ConfigKey.integer("window.lookback", 48, 1,
            "input steps per window"));
    public static final ConfigKey<Integer> WINDOW_HORIZON = add(ConfigKey.integer("window.horizon", 24, 1,
            "forecast steps per window"));
    public static final ConfigKey<Integer> WINDOW_STRIDE = add(ConfigKey.integer("window.stride", 1, 1,
            "steps between training window origins"));
    public static final ConfigKey<Integer> WINDOW_EVAL_STRIDE = add(ConfigKey.integer("window.evalStride", 1, 1,
            "steps between validation/test window origins"));
    public static final ConfigKey<WindowSpec.ShortHistory> WINDOW_SHORT_HISTORY = add(ConfigKey.choice(
            "window.shortHistory", WindowSpec.ShortHistory.class, WindowSpec.ShortHistory.SKIP,
            "origins with less history than the lookback: skip them, or pad them under a mask"));
    public static final ConfigKey<Integer> WINDOW_MIN_HISTORY = add(ConfigKey.optionalInteger("window.minHistory", 1,
            "with shortHistory=pad: the least history a window may have (default lookback/4)"));

    // output.*
    public static final ConfigKey<String> OUTPUT_DIR = add(ConfigKey.string("output.dir", null, true,
            "folder the job writes into"));
    public static final ConfigKey<OutputFormat> OUTPUT_FORMAT = add(ConfigKey.choice("output.format",
            OutputFormat.class, OutputFormat.PARQUET, "format of the human-facing tables (series/)"));

    /** Architectures: recurrent, and the linear forecasters of Zeng et al. (2023). */
    public enum ModelType { RNN, LSTM, GRU, LSTM_ATTENTION, NLINEAR, DLINEAR;

        /** A linear forecaster (one map from the whole window to the horizon): no recurrent layers. */
        public boolean linear() {
            return this == NLINEAR || this == DLINEAR;
        }
    }

    /**
     * How an LSTM layer is computed: DL4J's {@code LSTM} layer (several ND4J operations per time step), or the
     * project's {@code FusedLstmLayer} (hand-written passes: BLAS gemms over all steps or one per step, Java gate loops).
     */
    public enum LstmImplementation { DL4J, FUSED }

    /** Weight initialisations offered (DL4J's names). */
    public enum WeightInitChoice { XAVIER, XAVIER_UNIFORM, RELU, RELU_UNIFORM, LECUN_NORMAL, ZERO }

    /** Optimisers. */
    public enum Updater { ADAM, RMSPROP, SGD }

    /** How the weights are found: gradient descent over epochs, or (linear types) penalised least squares. */
    public enum Solver { SGD, RIDGE }

    /** Learning-rate schedules, counted in epochs. */
    public enum LrSchedule { NONE, STEP, EXPONENTIAL, COSINE }

    /** Gradient clipping: element-wise value, or L2 norm per layer. */
    public enum GradientClip { NONE, VALUE, L2 }

    /** When the training master repartitions its data (DL4J's {@code Repartition}). */
    public enum RepartitionChoice { ALWAYS, NEVER, NUM_PARTITIONS_WORKERS_DIFFERS }

    /** How DL4J balances data when it repartitions (DL4J's {@code RepartitionStrategy}). */
    public enum RepartitionStrategyChoice { BALANCED, APPROXIMATE_BALANCED, SPARK_DEFAULT }

    /** Storage levels for the training data (Spark's names). */
    /** How the averaging rounds of an epoch run on Spark (see {@code RoundTrainingMaster}). */
    public enum AveragingRounds { RPC, JOBS, DL4J }

    public enum StorageChoice { MEMORY_ONLY, MEMORY_ONLY_SER, MEMORY_AND_DISK, MEMORY_AND_DISK_SER, DISK_ONLY }

    // model.*
    public static final ConfigKey<ModelType> MODEL_TYPE = add(ConfigKey.choice("model.type", ModelType.class,
            ModelType.LSTM, "architecture: rnn, lstm, gru, lstm_attention (recurrent), nlinear, dlinear (linear maps from "
                    + "the window to the horizon; model.layers, model.units and model.dropout do not apply)"));
    public static final ConfigKey<LstmImplementation> MODEL_LSTM_IMPLEMENTATION = add(ConfigKey.choice(
            "model.lstmImplementation", LstmImplementation.class, LstmImplementation.FUSED,
            "lstm and lstm_attention: fused = the project's FusedLstmLayer (BLAS + Java, faster; right-padded masks only; no "
                    + "train.tbptt), dl4j = DL4J's LSTM layer; unset with train.tbptt > 0: dl4j"));
    public static final ConfigKey<Integer> MODEL_LAYERS = add(ConfigKey.integer("model.layers", 1, 1,
            "stacked recurrent layers"));
    public static final ConfigKey<Integer> MODEL_UNITS = add(ConfigKey.integer("model.units", 64, 1,
            "units per recurrent layer"));
    public static final ConfigKey<Double> MODEL_DROPOUT = add(ConfigKey.number("model.dropout", "0", 0.0, 0.9,
            "probability of dropping a recurrent layer's input during training"));
    public static final ConfigKey<WeightInitChoice> MODEL_WEIGHT_INIT = add(ConfigKey.choice("model.weightInit",
            WeightInitChoice.class, WeightInitChoice.XAVIER, "weight initialisation (zero: the linear types then start "
                    + "as repeat-last-value (nlinear) or zero (dlinear))"));
    public static final ConfigKey<Double> MODEL_L2 = add(ConfigKey.number("model.l2", "0", 0.0, 1.0,
            "L2 weight penalty"));
    public static final ConfigKey<String> MODEL_REGISTRY = add(ConfigKey.string("model.registry", null, false,
            "folder of model bundles (default <output.dir>/models)"));
    public static final ConfigKey<String> MODEL_NAME = add(ConfigKey.string("model.name", "forecaster", false,
            "bundle name: bundles go to <model.registry>/<model.name>/v<N>"));

    // train.*
    public static final ConfigKey<Solver> TRAIN_SOLVER = add(ConfigKey.choice("train.solver", Solver.class,
            Solver.SGD, "sgd = train.updater over epochs; ridge = nlinear and dlinear only: exact least squares with an "
                    + "L2 penalty in one pass over the windows, the penalty picked by validation loss among "
                    + "train.ridgeLambdas (no epochs, learning rate or early stopping)"));
    public static final ConfigKey<List<Double>> TRAIN_RIDGE_LAMBDAS = add(ConfigKey.custom("train.ridgeLambdas",
            "a comma-separated list of numbers > 0", "0.001,0.003,0.01,0.03,0.1,0.3,1,3,10,30,100", false,
            "train.solver=ridge: the L2 penalties tried (objective: mean over windows of the squared error summed over the horizon, + lambda |W|^2)",
            ConfigKeys::positiveNumbers));
    public static final ConfigKey<Updater> TRAIN_UPDATER = add(ConfigKey.choice("train.updater", Updater.class,
            Updater.ADAM, "optimiser"));
    public static final ConfigKey<Double> TRAIN_LEARNING_RATE = add(ConfigKey.number("train.learningRate", "0.001",
            1e-9, 10.0, "initial learning rate"));
    public static final ConfigKey<LrSchedule> TRAIN_LR_SCHEDULE = add(ConfigKey.choice("train.lrSchedule",
            LrSchedule.class, LrSchedule.NONE, "learning-rate schedule over epochs"));
    public static final ConfigKey<Double> TRAIN_LR_DECAY = add(ConfigKey.number("train.lrDecay", "0.5", 1e-6, 1.0,
            "step: factor every train.lrStepEpochs; exponential: factor per epoch; cosine: final/initial rate"));
    public static final ConfigKey<Integer> TRAIN_LR_STEP_EPOCHS = add(ConfigKey.integer("train.lrStepEpochs", 10, 1,
            "epochs between steps of the step schedule"));
    public static final ConfigKey<GradientClip> TRAIN_GRADIENT_CLIP = add(ConfigKey.choice("train.gradientClip",
            GradientClip.class, GradientClip.L2, "clip gradients element-wise (value) or by L2 norm per layer (l2)"));
    public static final ConfigKey<Double> TRAIN_GRADIENT_CLIP_THRESHOLD = add(ConfigKey.number(
            "train.gradientClipThreshold", "1.0", 1e-9, 1e9, "the clipping threshold"));
    public static final ConfigKey<Integer> TRAIN_TBPTT = add(ConfigKey.integer("train.tbptt", 0, 0,
            "truncated BPTT length in steps (0 = full BPTT); > 0 trains a per-step head"));
    public static final ConfigKey<Integer> TRAIN_SEED = add(ConfigKey.integer("train.seed", 42, 0,
            "seed of weights, shuffling and splits: same data + seed = same model"));
    public static final ConfigKey<Integer> TRAIN_EPOCHS = add(ConfigKey.integer("train.epochs", 20, 1,
            "maximum epochs"));
    public static final ConfigKey<Integer> TRAIN_PATIENCE = add(ConfigKey.integer("train.patience", 5, 0,
            "stop after this many epochs without a better validation loss (0 = never stop early)"));
    public static final ConfigKey<Integer> TRAIN_BATCH_SIZE = add(ConfigKey.integer("train.batchSizePerWorker", 64, 1,
            "minibatch size on each worker"));
    public static final ConfigKey<Integer> TRAIN_AVERAGING_FREQUENCY = add(ConfigKey.integer(
            "train.averagingFrequency", 5, 1, "minibatches each worker fits between parameter averagings"));
    public static final ConfigKey<Integer> TRAIN_PREFETCH = add(ConfigKey.integer("train.prefetchBatches", 0, 0,
            "minibatches each worker prefetches asynchronously"));
    public static final ConfigKey<Integer> TRAIN_WORKERS = add(ConfigKey.integer("train.workers", 0, 0,
            "parallel workers (0 = Spark's default parallelism, i.e. the executors' cores)"));
    public static final ConfigKey<RepartitionChoice> TRAIN_REPARTITION = add(ConfigKey.choice("train.repartition",
            RepartitionChoice.class, RepartitionChoice.NEVER, "when DL4J repartitions the training data; the job "
                    + "already balances it over the workers repeatably, DL4J's balancing is not repeatable"));
    public static final ConfigKey<RepartitionStrategyChoice> TRAIN_REPARTITION_STRATEGY = add(ConfigKey.choice(
            "train.repartitionStrategy", RepartitionStrategyChoice.class, RepartitionStrategyChoice.BALANCED,
            "how DL4J balances partitions when train.repartition makes it repartition"));
    public static final ConfigKey<AveragingRounds> TRAIN_AVERAGING_ROUNDS = add(ConfigKey.choice(
            "train.averagingRounds", AveragingRounds.class, AveragingRounds.RPC, "how parameter averaging rounds "
                    + "run: rpc (one Spark job of barrier tasks per epoch, averaged after every round by a driver "
                    + "endpoint on Spark's RPC; jobs where barrier tasks cannot all run at once), jobs (one Spark job "
                    + "per round on networks kept in the executors, parameters and updater state set from the driver "
                    + "every round) or dl4j (DL4J's round: a broadcast and a network rebuilt in every task); all give "
                    + "the same parameters"));
    public static final ConfigKey<StorageChoice> TRAIN_STORAGE_LEVEL = add(ConfigKey.choice("train.storageLevel",
            StorageChoice.class, StorageChoice.MEMORY_ONLY_SER, "storage level of the training minibatches"));
    public static final ConfigKey<String> TRAIN_CHECKPOINT_DIR = add(ConfigKey.string("train.checkpointDir", null,
            false, "checkpoint folder (default <model.registry>/<model.name>/checkpoints)"));
    public static final ConfigKey<Boolean> TRAIN_EVAL_TRAIN_LOSS = add(ConfigKey.bool("train.evalTrainLoss", true,
            "score the whole training split after each epoch (else report the workers' last minibatch loss)"));
    public static final ConfigKey<Integer> TRAIN_GRADIENT_PROBE = add(ConfigKey.integer("train.gradientProbe", 256, 0,
            "after each epoch, measure the raw gradient norm and the input gradient per time step on this many "
                    + "training windows (metrics.json; 0 = off)"));

    /** What detect does with a series the model was not trained on. */
    public enum UnseenSeries { GLOBAL, SKIP }

    // model.version and run.*
    public static final ConfigKey<String> MODEL_VERSION = add(ConfigKey.string("model.version", "latest", false,
            "bundle version scoring uses: latest, vN or N"));
    public static final ConfigKey<String> RUN_DATE = add(ConfigKey.string("run.date", null, false,
            "the run's date (yyyy-MM-dd), naming the output partition; --run-date sets it (default: today, UTC)"));

    // forecast.*
    public static final ConfigKey<String> FORECAST_ORIGIN = add(ConfigKey.string("forecast.origin", null, false,
            "last observed timestamp forecasts start after (default: the end of run.date when it is set, else the "
                    + "end of each series)"));
    public static final ConfigKey<List<String>> FORECAST_INTERVALS = add(ConfigKey.list("forecast.intervals",
            "0.8,0.95", false, "central prediction interval probabilities, from the bundle's calibration"));
    public static final ConfigKey<String> FORECAST_FROM = add(ConfigKey.string("forecast.from", null, false,
            "backtest mode: first origin (with forecast.to)"));
    public static final ConfigKey<String> FORECAST_TO = add(ConfigKey.string("forecast.to", null, false,
            "backtest mode: last origin"));
    public static final ConfigKey<Integer> FORECAST_STRIDE = add(ConfigKey.integer("forecast.stride", 1, 1,
            "backtest mode: steps between origins"));

    // detect.*
    public static final ConfigKey<String> DETECT_FROM = add(ConfigKey.string("detect.from", null, false,
            "first timestamp scored (default: the first step after the training range)"));
    public static final ConfigKey<String> DETECT_TO = add(ConfigKey.string("detect.to", null, false,
            "last timestamp scored (default: the end of the data)"));
    public static final ConfigKey<Double> DETECT_THRESHOLD = add(ConfigKey.number("detect.threshold", "0.999",
            0.5, 1.0, "anomaly_score at or above which a row is flagged"));
    public static final ConfigKey<Double> DETECT_FALSE_ALARM_RATE = add(ConfigKey.number("detect.falseAlarmRate",
            null, 1e-9, 0.5, "alternative to detect.threshold: flag this share of normal rows (threshold 1 - rate)"));
    public static final ConfigKey<UnseenSeries> DETECT_UNSEEN_SERIES = add(ConfigKey.choice("detect.unseenSeries",
            UnseenSeries.class, UnseenSeries.GLOBAL, "series not seen in training: score with the global "
                    + "statistics, or skip them with a reason"));

    // compare.*
    public static final ConfigKey<List<String>> COMPARE_TYPES = add(ConfigKey.list("compare.types",
            "rnn,lstm,gru,lstm_attention", false, "compare: the model.type values trained on the same split"));
    public static final ConfigKey<List<String>> COMPARE_GRADIENT_CLIPS = add(ConfigKey.list("compare.gradientClips",
            "l2", false, "compare: the train.gradientClip values each type is trained with"));
    public static final ConfigKey<Integer> COMPARE_GRADIENT_STEPS_BACK = add(ConfigKey.optionalInteger(
            "compare.gradientStepsBack", 0, "compare: the table's input-gradient column reads this many steps before "
                    + "the newest input step (default: the oldest step of the lookback)"));

    // evaluate.*
    public static final ConfigKey<String> EVALUATE_FORECASTS = add(ConfigKey.string("evaluate.forecasts", null, false,
            "evaluate: forecast output to score, e.g. a backtest (default <output.dir>/forecasts/run_date=<run.date>)"));
    public static final ConfigKey<String> EVALUATE_ANOMALIES = add(ConfigKey.string("evaluate.anomalies", null, false,
            "evaluate: detect output to score (default <output.dir>/anomalies/run_date=<run.date>)"));
    public static final ConfigKey<String> EVALUATE_LABELS = add(ConfigKey.string("evaluate.labels", null, false,
            "evaluate: anomaly labels, a CSV (series_id,start,end or series_id,timestamp) or NAB's "
                    + "combined_windows.json (.json; series id = file name without .csv)"));
    public static final ConfigKey<Integer> EVALUATE_SEASON = add(ConfigKey.integer("evaluate.season", 24, 1,
            "evaluate: season in steps of the seasonal-naive baseline and of MASE's in-sample scale (1 = naive)"));
    public static final ConfigKey<Integer> EVALUATE_LAGS = add(ConfigKey.integer("evaluate.lags", 24, 1,
            "evaluate: lags of the MLlib linear autoregression baseline (fitted on the training range)"));
    public static final ConfigKey<Integer> EVALUATE_REPORT_SERIES = add(ConfigKey.integer("evaluate.reportSeries", 3,
            1, "evaluate: series charted in the HTML report"));
    public static final ConfigKey<String> EVALUATE_OUTPUT = add(ConfigKey.string("evaluate.output", null, false,
            "evaluate: folder of metrics.json, metrics.md and report.html (default "
                    + "<output.dir>/evaluation/run_date=<run.date>)"));

    private ConfigKeys() {
    }

    public static List<ConfigKey<?>> all() {
        return Collections.unmodifiableList(ALL);
    }

    static Map<String, ConfigKey<?>> byName() {
        Map<String, ConfigKey<?>> m = new LinkedHashMap<>();
        for (ConfigKey<?> k : ALL) {
            m.put(k.name(), k);
        }
        return m;
    }

    /** The key reference: one line per key, grouped by namespace, generated from the declarations. */
    public static String reference() {
        StringBuilder sb = new StringBuilder();
        for (ConfigKey<?> k : ALL) {
            sb.append(String.format("  %-26s %s%s. %s%n", k.name(), k.type(),
                    k.required() ? ", required" : k.defaultText() == null ? "" : ", default " + k.defaultText(),
                    k.description()));
        }
        sb.append(String.format("  %-26s %s%n", "spark.*", "passed to Spark as is (spark.master selects the cluster)"));
        return sb.toString();
    }
}
