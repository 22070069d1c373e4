package io.tsforge.spark;

import io.tsforge.config.TrainConfig;
import io.tsforge.jobs.TrainJob;
import io.tsforge.model.NetworkFactory;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EpochLoop}: the train job's epochs, all of them in one Spark job with rpc averaging (the tasks score the
 * losses), epoch by epoch otherwise; both give DL4J's parameters and DL4J's {@code calculateScore} losses.
 */
class EpochLoopTest {

    private static final int EPOCHS = 3;
    private static final int SCORE_BATCH = 4;

    /** A learning rate halved every epoch: the workers must count the epochs as the driver does. */
    private static TrainConfig config(String mode) {
        return RoundTrainingMasterTest.tinyConfig(mode, java.util.Map.of("train.lrSchedule", "exponential"));
    }

    /** DL4J's own rounds (the reference of the other modes), an epoch per fit, the losses by calculateScore. */
    private record Reference(List<float[]> params, List<double[]> losses, MultiLayerNetwork net) {
    }

    private static Reference reference(JavaSparkContext jsc, MultiLayerNetwork start, JavaRDD<DataSet> train,
                                       JavaRDD<DataSet> val, int epochs) {
        TrainConfig cfg = config("dl4j");
        long[] sizes = TrainingData.partitionSizes(train);
        MultiLayerNetwork net = start.clone();
        List<float[]> params = new ArrayList<>();
        List<double[]> losses = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            var master = TrainJob.trainingMaster(cfg, 2, e, sizes);
            new SparkDl4jMultiLayer(jsc, net, master).fit(train);
            params.add(net.params().toFloatVector());
            losses.add(new double[]{new SparkDl4jMultiLayer(jsc, net.clone(), master).calculateScore(train, true,
                    SCORE_BATCH), new SparkDl4jMultiLayer(jsc, net.clone(), master).calculateScore(val, true,
                    SCORE_BATCH)});
        }
        return new Reference(params, losses, net);
    }

    private static IntFunction<ParameterAveragingTrainingMaster> masters(String mode, long[] sizes,
                                                                        TrainingHook hook) {
        TrainConfig cfg = config(mode);
        return e -> {
            var m = TrainJob.trainingMaster(cfg, 2, e, sizes);
            if (hook != null) {
                m.addHook(hook);
            }
            return m;
        };
    }

    private static void assertSameNetwork(MultiLayerNetwork want, MultiLayerNetwork got, String what) {
        assertArrayEquals(want.params().toFloatVector(), got.params().toFloatVector(), 1e-6f, what);
        assertArrayEquals(want.getUpdater().getStateViewArray().toFloatVector(),
                got.getUpdater().getStateViewArray().toFloatVector(), 1e-6f, what);
        assertEquals(want.getLayerWiseConfigurations().getIterationCount(),
                got.getLayerWiseConfigurations().getIterationCount(), what);
        assertEquals(want.getLayerWiseConfigurations().getEpochCount(),
                got.getLayerWiseConfigurations().getEpochCount(), what);
    }

    /** No Spark job runs (the status tracker learns of a job's end through the listener bus: it may lag a little). */
    private static void assertNoActiveJob(JavaSparkContext jsc) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (jsc.statusTracker().getActiveJobIds().length > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertEquals(0, jsc.statusTracker().getActiveJobIds().length, "a Spark job still runs");
    }

    @Test
    void allEpochsInOneRpcJobGiveDl4jsParametersAndCalculateScoresLossesEveryEpoch() throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> train = RoundTrainingMasterTest.randomBatches(jsc, 5);
        JavaRDD<DataSet> val = RoundTrainingMasterTest.randomBatches(jsc, 6);
        long[] sizes = TrainingData.partitionSizes(train);
        MultiLayerNetwork start = NetworkFactory.network(config("rpc"));
        Reference ref = reference(jsc, start, train, val, EPOCHS);
        for (String mode : List.of("rpc", "jobs")) {
            MultiLayerNetwork net = start.clone();
            List<EpochLoop.Ended> ended = new ArrayList<>();
            List<float[]> params = new ArrayList<>();
            long jobs = RpcRounds.JOBS.get();
            EpochLoop.run(jsc, net, masters(mode, sizes, null), train, val, true, SCORE_BATCH, 0, EPOCHS, e -> {
                ended.add(e);
                params.add(net.params().toFloatVector());
                return true;
            });
            assertEquals(mode.equals("rpc") ? 1 : 0, RpcRounds.JOBS.get() - jobs, mode + ": averaging jobs");
            assertEquals(EPOCHS, ended.size(), mode);
            for (int e = 0; e < EPOCHS; e++) {
                EpochLoop.Ended x = ended.get(e);
                assertEquals(e, x.epoch());
                // the listener sees the driver's network holding the epoch
                assertArrayEquals(ref.params().get(e), params.get(e), 1e-6f, mode + " epoch " + e);
                assertEquals(ref.losses().get(e)[0], x.trainLoss(), 1e-9 * ref.losses().get(e)[0],
                        mode + " epoch " + e + " training loss");
                assertEquals(ref.losses().get(e)[1], x.validationLoss(), 1e-9 * ref.losses().get(e)[1],
                        mode + " epoch " + e + " validation loss");
                assertTrue(x.trainSeconds() > 0 && x.seconds() >= x.trainSeconds(), x.toString());
            }
            assertSameNetwork(ref.net(), net, mode);
            assertNoActiveJob(jsc);
        }
        RoundTrainingMaster.releaseKeptDeal();
        train.unpersist(false);
        val.unpersist(false);
    }

    @Test
    void theListenerStopsTheEpochsAndTheJobEnds() throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> train = RoundTrainingMasterTest.randomBatches(jsc, 5);
        long[] sizes = TrainingData.partitionSizes(train);
        MultiLayerNetwork start = NetworkFactory.network(config("rpc"));
        Reference ref = reference(jsc, start, train, train, 2);
        MultiLayerNetwork net = start.clone();
        List<EpochLoop.Ended> ended = new ArrayList<>();
        // no validation data and no training loss: NaN, and the score is the last round's mean
        EpochLoop.run(jsc, net, masters("rpc", sizes, null), train, null, false, SCORE_BATCH, 0, 10, e -> {
            ended.add(e);
            return e.epoch() < 1;
        });
        assertEquals(2, ended.size());
        assertTrue(Double.isNaN(ended.get(1).validationLoss()) && Double.isNaN(ended.get(1).trainLoss()));
        assertTrue(ended.get(1).score() > 0);
        assertSameNetwork(ref.net(), net, "stopped after epoch 2");
        assertNoActiveJob(jsc);
        RoundTrainingMaster.releaseKeptDeal();
        train.unpersist(false);
    }

    @Test
    void aJobFailingInALaterEpochRunsAgainFromTheLastEndedEpoch() throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> train = RoundTrainingMasterTest.randomBatches(jsc, 5);
        long[] sizes = TrainingData.partitionSizes(train);
        MultiLayerNetwork start = NetworkFactory.network(config("rpc"));
        Reference ref = reference(jsc, start, train, train, EPOCHS);
        MultiLayerNetwork net = start.clone();
        List<Integer> ended = new ArrayList<>();
        long retries = RpcRounds.EPOCH_RETRIES.get();
        long jobs = RpcRounds.JOBS.get();
        RoundTrainingMasterTest.FAILED_ONCE.set(false);
        // worker 1 fits 11 or 12 minibatches an epoch: its 15th is in the second epoch
        jsc.setLocalProperty(RpcRounds.ATTEMPTS_PROPERTY, "2");
        try {
            EpochLoop.run(jsc, net, masters("rpc", sizes, new RoundTrainingMasterTest.FailWorker1(15, true)), train, null, false, SCORE_BATCH, 0,
                    EPOCHS, e -> ended.add(e.epoch()));
        } finally {
            jsc.setLocalProperty(RpcRounds.ATTEMPTS_PROPERTY, null);
        }
        assertTrue(RoundTrainingMasterTest.FAILED_ONCE.get(), "the hook failed a task");
        assertEquals(1, RpcRounds.EPOCH_RETRIES.get() - retries);
        assertEquals(2, RpcRounds.JOBS.get() - jobs);
        assertEquals(List.of(0, 1, 2), ended, "every epoch ends once");
        assertSameNetwork(ref.net(), net, "retried");
        assertNoActiveJob(jsc);
        RoundTrainingMaster.releaseKeptDeal();
        train.unpersist(false);
    }

    @Test
    void aFailingListenerStopsTheJobAndFreesTheSlots() throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> train = RoundTrainingMasterTest.randomBatches(jsc, 5);
        long[] sizes = TrainingData.partitionSizes(train);
        MultiLayerNetwork net = NetworkFactory.network(config("rpc"));
        IllegalStateException boom = new IllegalStateException("checkpoint failed");
        // a deadlock guard, not a speed target: tasks left waiting would hold the slots for a day
        assertTimeoutPreemptively(Duration.ofMinutes(5), () -> {
            Exception e = assertThrows(Exception.class, () -> EpochLoop.run(jsc, net, masters("rpc", sizes, null),
                    train, null, false, SCORE_BATCH, 0, EPOCHS, x -> {
                        throw boom;
                    }));
            assertSame(boom, e);
            assertNoActiveJob(jsc);
            List<Integer> ended = new ArrayList<>();
            EpochLoop.run(jsc, net, masters("rpc", sizes, null), train, null, false, SCORE_BATCH, 1, 2,
                    x -> ended.add(x.epoch()));
            assertEquals(List.of(1), ended);
        });
        RoundTrainingMaster.releaseKeptDeal();
        train.unpersist(false);
    }

    @Test
    void aDealWithAnotherEpochSeedIsThatEpochsDeal() {
        RoundTrainingMaster.Deal first = new RoundTrainingMaster.Deal(125, 2, 5, 42, 7);
        first.slot(0);
        RoundTrainingMaster.Deal later = first.withEpochSeed(8);
        RoundTrainingMaster.Deal fresh = new RoundTrainingMaster.Deal(125, 2, 5, 42, 8);
        boolean moved = false;
        for (int i = 0; i < 125; i++) {
            assertEquals(fresh.slot(i), later.slot(i));
            assertEquals(first.dealt(i), later.dealt(i));
            moved |= first.slot(i) != later.slot(i);
        }
        assertTrue(moved, "another epoch, another order");
    }
}
