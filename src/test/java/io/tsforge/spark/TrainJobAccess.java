package io.tsforge.spark;

import io.tsforge.config.TrainConfig;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;

/** The training master exactly as the train job builds it, for the single-machine equivalence test. */
final class TrainJobAccess {
    private TrainJobAccess() {
    }

    static ParameterAveragingTrainingMaster trainingMaster(TrainConfig cfg, int workers, int epoch) {
        return io.tsforge.jobs.TrainJob.trainingMaster(cfg, workers, epoch);
    }
}
