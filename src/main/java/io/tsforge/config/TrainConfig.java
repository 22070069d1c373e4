package io.tsforge.config;

import java.io.Serializable;
import java.util.List;

/** Everything {@code train} needs: where prepare's output is, the network, the optimisation and distribution. */
public record TrainConfig(String preparedDir, List<String> features, int lookback, int horizon, ModelSpec model,
                          OptimSpec optim, DistSpec dist, int epochs, int patience, int seed, String registry,
                          String name, String checkpointDir, boolean evalTrainLoss, int gradientProbe,
                          ConfigKeys.Solver solver, List<Double> ridgeLambdas)
        implements Serializable {

    /** The network's shape. */
    public record ModelSpec(ConfigKeys.ModelType type, int layers, int units, double dropout,
                            ConfigKeys.WeightInitChoice weightInit, double l2,
                            ConfigKeys.LstmImplementation lstmImplementation)
            implements Serializable {
    }

    /** The optimisation. */
    public record OptimSpec(ConfigKeys.Updater updater, double learningRate, ConfigKeys.LrSchedule schedule,
                            double lrDecay, int lrStepEpochs, ConfigKeys.GradientClip clip, double clipThreshold,
                            int tbptt) implements Serializable {
    }

    /** How training is spread over Spark. */
    public record DistSpec(int batchSize, int averagingFrequency, int prefetch, int workers,
                           ConfigKeys.RepartitionChoice repartition,
                           ConfigKeys.RepartitionStrategyChoice repartitionStrategy, ConfigKeys.StorageChoice storage,
                           ConfigKeys.AveragingRounds averagingRounds)
            implements Serializable {
    }

    public TrainConfig {
        features = List.copyOf(features);
        ridgeLambdas = List.copyOf(ridgeLambdas);
        if (solver == ConfigKeys.Solver.RIDGE && !model.type().linear()) {
            throw new ConfigException("train.solver", "ridge solves the linear model types only: use model.type "
                    + "nlinear or dlinear, or train.solver=sgd, found model.type="
                    + model.type().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (optim.tbptt() > 0 && (model.type() == ConfigKeys.ModelType.GRU
                || model.type() == ConfigKeys.ModelType.LSTM_ATTENTION)) {
            throw new ConfigException("train.tbptt", "truncated BPTT needs a per-step recurrent head: use model.type "
                    + "rnn or lstm, found " + model.type().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (optim.tbptt() > 0 && model.type().linear()) {
            throw new ConfigException("train.tbptt", "truncated BPTT needs a recurrent model: model.type "
                    + model.type().name().toLowerCase(java.util.Locale.ROOT) + " takes train.tbptt=0, found "
                    + optim.tbptt());
        }
        if (optim.tbptt() > 0 && model.lstmImplementation() == ConfigKeys.LstmImplementation.FUSED
                && (model.type() == ConfigKeys.ModelType.LSTM || model.type() == ConfigKeys.ModelType.LSTM_ATTENTION)) {
            throw new ConfigException("train.tbptt", "truncated BPTT is not supported by model.lstmImplementation="
                    + "fused: use dl4j or train.tbptt=0, found " + optim.tbptt());
        }
        if (optim.tbptt() > lookback) {
            throw new ConfigException("train.tbptt", "must not exceed window.lookback=" + lookback + ", found "
                    + optim.tbptt());
        }
    }

    public static TrainConfig from(Config c) {
        PrepareConfig p = PrepareConfig.from(c);
        String registry = c.isSet(ConfigKeys.MODEL_REGISTRY) ? c.get(ConfigKeys.MODEL_REGISTRY)
                : c.get(ConfigKeys.OUTPUT_DIR) + "/models";
        String name = c.get(ConfigKeys.MODEL_NAME);
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException("model.name", "use letters, digits, '.', '_' or '-', found '" + name + "'");
        }
        String checkpoints = c.isSet(ConfigKeys.TRAIN_CHECKPOINT_DIR) ? c.get(ConfigKeys.TRAIN_CHECKPOINT_DIR)
                : registry + "/" + name + "/checkpoints";
        return new TrainConfig(p.outputDir(), p.input().valueColumns(), p.window().lookback(), p.window().horizon(),
                new ModelSpec(c.get(ConfigKeys.MODEL_TYPE), c.get(ConfigKeys.MODEL_LAYERS),
                        c.get(ConfigKeys.MODEL_UNITS), c.get(ConfigKeys.MODEL_DROPOUT),
                        c.get(ConfigKeys.MODEL_WEIGHT_INIT), c.get(ConfigKeys.MODEL_L2),
                        lstmImplementation(c)),
                new OptimSpec(c.get(ConfigKeys.TRAIN_UPDATER), c.get(ConfigKeys.TRAIN_LEARNING_RATE),
                        c.get(ConfigKeys.TRAIN_LR_SCHEDULE), c.get(ConfigKeys.TRAIN_LR_DECAY),
                        c.get(ConfigKeys.TRAIN_LR_STEP_EPOCHS), c.get(ConfigKeys.TRAIN_GRADIENT_CLIP),
                        c.get(ConfigKeys.TRAIN_GRADIENT_CLIP_THRESHOLD), c.get(ConfigKeys.TRAIN_TBPTT)),
                new DistSpec(c.get(ConfigKeys.TRAIN_BATCH_SIZE), c.get(ConfigKeys.TRAIN_AVERAGING_FREQUENCY),
                        c.get(ConfigKeys.TRAIN_PREFETCH), c.get(ConfigKeys.TRAIN_WORKERS),
                        c.get(ConfigKeys.TRAIN_REPARTITION), c.get(ConfigKeys.TRAIN_REPARTITION_STRATEGY),
                        c.get(ConfigKeys.TRAIN_STORAGE_LEVEL), c.get(ConfigKeys.TRAIN_AVERAGING_ROUNDS)),
                c.get(ConfigKeys.TRAIN_EPOCHS), c.get(ConfigKeys.TRAIN_PATIENCE), c.get(ConfigKeys.TRAIN_SEED),
                registry, name, checkpoints, c.get(ConfigKeys.TRAIN_EVAL_TRAIN_LOSS),
                c.get(ConfigKeys.TRAIN_GRADIENT_PROBE), c.get(ConfigKeys.TRAIN_SOLVER),
                c.get(ConfigKeys.TRAIN_RIDGE_LAMBDAS));
    }

    /**
     * model.lstmImplementation as set; unset, the fused layer, except with truncated BPTT (train.tbptt > 0), which
     * only DL4J's LSTM supports.
     */
    static ConfigKeys.LstmImplementation lstmImplementation(Config c) {
        if (c.isSet(ConfigKeys.MODEL_LSTM_IMPLEMENTATION) || c.get(ConfigKeys.TRAIN_TBPTT) == 0) {
            return c.get(ConfigKeys.MODEL_LSTM_IMPLEMENTATION);
        }
        return ConfigKeys.LstmImplementation.DL4J;
    }

    public int featureCount() {
        return features.size();
    }
}
