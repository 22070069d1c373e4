package io.tsforge.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;

import java.util.function.IntFunction;

/**
 * The train job's epochs: fit, then the losses, then the caller's bookkeeping (checkpoint, early stopping), epoch after
 * epoch. With a {@link RoundTrainingMaster} whose rounds run over rpc, all the epochs are one Spark job
 * ({@link RoundTrainingMaster#fitEpochs}): its tasks score the minibatches themselves at the end of every epoch and
 * wait while the caller's listener runs. Otherwise an epoch is DL4J's {@code SparkDl4jMultiLayer.fit} and the losses
 * are DL4J's {@code calculateScore} jobs. Both compute a loss as DL4J's {@code calculateScore} does: the sum of
 * {@code score(minibatch) x examples} over minibatches of at most {@code scoreBatch} examples, divided by the examples.
 */
public final class EpochLoop {

    private EpochLoop() {
    }

    /**
     * An ended epoch (0-based {@code epoch}): the network's score after it (the workers' mean score of the last
     * round), the training and validation losses (NaN when not computed), and the seconds it took to train and to
     * train and score.
     */
    public record Ended(int epoch, double score, double trainLoss, double validationLoss, double trainSeconds,
                        double seconds) {
    }

    /** What runs after every epoch. */
    public interface Listener {
        /**
         * Called with the driver's network holding the epoch's result.
         *
         * @return whether to go on with the next epoch
         */
        boolean ended(Ended epoch) throws Exception;
    }

    /**
     * Trains epochs {@code from} to {@code to - 1} of {@code net} on {@code train}, each with its training master from
     * {@code masters}, scoring {@code validation} (when not null) and, if {@code trainLoss}, {@code train} after each,
     * and calls {@code listener} after each, stopping when it says so.
     */
    public static void run(JavaSparkContext jsc, MultiLayerNetwork net,
                           IntFunction<? extends ParameterAveragingTrainingMaster> masters, JavaRDD<DataSet> train,
                           JavaRDD<DataSet> validation, boolean trainLoss, int scoreBatch, int from, int to,
                           Listener listener) throws Exception {
        for (int epoch = from; epoch < to; epoch++) {
            long t0 = System.nanoTime();
            ParameterAveragingTrainingMaster master = masters.apply(epoch);
            SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(jsc, net, master);
            if (epoch == from && master instanceof RoundTrainingMaster r
                    && r.fitEpochs(sparkNet, train, validation, trainLoss, scoreBatch, from, to, masters, listener)) {
                return;
            }
            sparkNet.fit(train);
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            // Scored on copies, a fresh one per pass: in local mode DL4J's scoring closes the broadcast parameter
            // array, which is then the scored network's own (measured: the next epoch fails with "Op.Z argument was
            // closed" when it is the driver's network; a second pass over the same copy read the closed array and
            // crashed the JVM in ScoreFlatMapFunction, twice in 9 ETTh1 runs).
            double trainScore = trainLoss ? new SparkDl4jMultiLayer(jsc, net.clone(), master)
                    .calculateScore(train, true, scoreBatch) : Double.NaN;
            double valScore = validation == null ? Double.NaN : new SparkDl4jMultiLayer(jsc, net.clone(), master)
                    .calculateScore(validation, true, scoreBatch);
            if (!listener.ended(new Ended(epoch, sparkNet.getScore(), trainScore, valScore, trainSeconds,
                    (System.nanoTime() - t0) / 1e9))) {
                return;
            }
        }
    }
}
