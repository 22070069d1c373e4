package io.tsforge.spark;

import io.tsforge.config.TrainConfig;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;

/** The training master exactly as the train job builds it, for the single-machine equivalence test. */
final class TrainJobAccess {
    private TrainJobAccess() {
    }

    static ParameterAveragingTrainingMaster trainingMaster(TrainConfig cfg, int workers, int epoch,
                                                           long[] partitionSizes) {
        return io.tsforge.jobs.TrainJob.trainingMaster(cfg, workers, epoch, partitionSizes);
    }

    /** The order in which one worker fits an epoch's minibatches under the job's deal (see RoundTrainingMaster). */
    static int[] oneWorkerOrder(TrainConfig cfg, int n, int epoch) {
        RoundTrainingMaster.Deal deal = new RoundTrainingMaster.Deal(n, 1, cfg.dist().averagingFrequency(),
                io.tsforge.jobs.TrainJob.dealSeed(cfg), io.tsforge.jobs.TrainJob.epochSeed(cfg, epoch));
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[(int) deal.slot(i)] = i;
        }
        return order;
    }
}
