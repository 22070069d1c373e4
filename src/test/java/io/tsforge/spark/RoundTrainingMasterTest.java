package io.tsforge.spark;

import io.tsforge.config.Config;
import io.tsforge.config.TrainConfig;
import io.tsforge.model.NetworkFactory;
import io.tsforge.model.Tensors;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundTrainingMasterTest {

    /** Minibatches per partition (round * workers + worker) under a deal. */
    private static int[] partitionLoads(RoundTrainingMaster.Deal d) {
        int[] load = new int[d.rounds * d.workers];
        for (int i = 0; i < d.n; i++) {
            load[d.partition(d.slot(i))]++;
        }
        return load;
    }

    @Test
    void everyMinibatchGetsOneSlotAndRoundsHoldTheAveragingFrequency() {
        // 125 minibatches, 2 workers, every 5: 12 rounds as in DL4J (floor(125 / 10)); 125 = 5 x 11 + 7 x 10, so
        // five rounds of 11 (6 + 5) and seven of 10 (5 + 5)
        RoundTrainingMaster.Deal d = new RoundTrainingMaster.Deal(125, 2, 5, 42);
        assertEquals(12, d.rounds);
        boolean[] seen = new boolean[125];
        for (int i = 0; i < 125; i++) {
            int s = (int) d.slot(i);
            assertTrue(!seen[s], "slot " + s + " given twice");
            seen[s] = true;
        }
        int[] load = partitionLoads(d);
        int six = 0;
        for (int r = 0; r < 12; r++) {
            assertEquals(5, load[2 * r + 1], "round " + r + ", worker 1");
            assertTrue(load[2 * r] == 5 || load[2 * r] == 6, "round " + r + ", worker 0: " + load[2 * r]);
            six += load[2 * r] == 6 ? 1 : 0;
        }
        assertEquals(5, six);
    }

    @Test
    void theDealDependsOnlyOnTheSeed() {
        RoundTrainingMaster.Deal a = new RoundTrainingMaster.Deal(40, 3, 4, 7);
        RoundTrainingMaster.Deal b = new RoundTrainingMaster.Deal(40, 3, 4, 7);
        RoundTrainingMaster.Deal c = new RoundTrainingMaster.Deal(40, 3, 4, 8);
        long[] sa = new long[40];
        long[] sb = new long[40];
        long[] sc = new long[40];
        for (int i = 0; i < 40; i++) {
            sa[i] = a.slot(i);
            sb[i] = b.slot(i);
            sc[i] = c.slot(i);
        }
        assertArrayEquals(sa, sb);
        assertNotEquals(java.util.Arrays.toString(sa), java.util.Arrays.toString(sc), "another epoch deals anew");
        // 40 over 3 workers x 4: floor(40 / 12) = 3 rounds of 14, 13, 13 slots
        assertEquals(3, a.rounds);
        assertArrayEquals(new int[]{5, 5, 4, 5, 4, 4, 5, 4, 4}, partitionLoads(a));
        assertEquals(1, RoundTrainingMaster.rounds(7, 2, 5), "fewer minibatches than one round: one round");
    }

    @Test
    void laterEpochsKeepEachWorkersMinibatchesAndItsShareOfEveryRound() {
        // 125 minibatches, 2 workers, every 5 (12 rounds); the deal seed is fixed, the epoch seed changes
        RoundTrainingMaster.Deal first = new RoundTrainingMaster.Deal(125, 2, 5, 42, 100);
        RoundTrainingMaster.Deal later = new RoundTrainingMaster.Deal(125, 2, 5, 42, 101);
        int moved = 0;
        for (int i = 0; i < 125; i++) {
            assertEquals(first.partition(first.slot(i)) % 2, later.partition(later.slot(i)) % 2, "minibatch " + i);
            assertEquals(first.partition(first.dealt(i)) % 2, first.partition(first.slot(i)) % 2, "minibatch " + i);
            moved += first.partition(first.slot(i)) != later.partition(later.slot(i)) ? 1 : 0;
        }
        assertTrue(moved > 60, "the epoch reorders the rounds: " + moved + " of 125 minibatches changed round");
        assertArrayEquals(partitionLoads(first), partitionLoads(later), "every round's share per worker is kept");
        boolean[] seen = new boolean[125];
        for (int i = 0; i < 125; i++) {
            int s = (int) later.slot(i);
            assertTrue(!seen[s], "slot " + s + " given twice");
            seen[s] = true;
        }
    }

    /** Records the first label of every minibatch a worker fits (each minibatch below has a distinct one). */
    record Fitted(CollectionAccumulator<Float> acc) implements TrainingHook {
        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet d, Model m) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet d, Model m) {
            acc.add(d.getLabels().getFloat(0));
        }

        @Override
        public void preUpdate(MultiDataSet d, Model m) {
        }

        @Override
        public void postUpdate(MultiDataSet d, Model m) {
        }
    }

    @Test
    void twoWorkersFitEveryMinibatchExactlyOncePerEpoch() {
        TrainConfig cfg = TrainConfig.from(Config.of(Map.of("input.path", "x", "input.timeColumn", "t",
                "input.valueColumns", "a", "series.frequency", "1h", "output.dir", "o", "window.lookback", "6",
                "window.horizon", "1", "train.averagingFrequency", "3", "train.batchSizePerWorker", "4",
                "model.units", "4")));
        // 23 minibatches of 4 windows; window k of batch b has the label 1000 * b + k (a marker, not a series)
        float[][] seg = new float[1][200];
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < 23; b++) {
            List<Tensors.Window> ws = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                ws.add(new Tensors.Window(seg, 10 + k, 6));
            }
            DataSet d = Tensors.minibatch(ws, 6, 1, false);
            for (int k = 0; k < 4; k++) {
                d.getLabels().putScalar(k, 0, 1000f * b + k);
            }
            batches.add(d);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> rdd = TrainingData.balance(jsc.parallelize(batches, 3), 2).cache();
        long[] sizes = TrainingData.partitionSizes(rdd);
        assertArrayEquals(new long[]{12, 11}, sizes);
        var net = NetworkFactory.network(cfg);
        for (int epoch = 0; epoch < 2; epoch++) {
            CollectionAccumulator<Float> acc = jsc.sc().collectionAccumulator();
            ParameterAveragingTrainingMaster m = io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, epoch, sizes);
            m.addHook(new Fitted(acc));
            new SparkDl4jMultiLayer(jsc, net, m).fit(rdd);
            List<Float> got = new ArrayList<>(acc.value());
            Collections.sort(got);
            List<Float> want = new ArrayList<>();
            for (int b = 0; b < 23; b++) {
                want.add(1000f * b);
            }
            assertEquals(want, got, "epoch " + epoch);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SparkDl4jMultiLayer(jsc,
                net, io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, 0, new long[]{23})).fit(rdd));
        assertEquals("the training RDD has 2 partitions but 1 partition sizes were given", e.getMessage());
        rdd.unpersist(false);
    }

    /** The minibatches of the equivalence tests: 23 of 4 windows over a random series, in 2 balanced partitions. */
    static JavaRDD<DataSet> randomBatches(JavaSparkContext jsc) {
        return randomBatches(jsc, 5);
    }

    /** As above, over the random series of {@code seed}. */
    static JavaRDD<DataSet> randomBatches(JavaSparkContext jsc, long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        float[][] seg = new float[1][200];
        for (int t = 0; t < 200; t++) {
            seg[0][t] = (float) rnd.nextGaussian();
        }
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < 23; b++) {
            List<Tensors.Window> ws = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                ws.add(new Tensors.Window(seg, 6 + 8 * b + k, 6));
            }
            batches.add(Tensors.minibatch(ws, 6, 1, false));
        }
        return TrainingData.balance(jsc.parallelize(batches, 3), 2).cache();
    }

    static TrainConfig tinyConfig(String rounds) {
        return tinyConfig(rounds, Map.of());
    }

    /** As above, with further config entries. */
    static TrainConfig tinyConfig(String rounds, Map<String, String> extra) {
        Map<String, String> m = new java.util.HashMap<>(Map.of("input.path", "x", "input.timeColumn", "t",
                "input.valueColumns", "a", "series.frequency", "1h", "output.dir", "o", "window.lookback", "6",
                "window.horizon", "1", "train.averagingFrequency", "3", "train.batchSizePerWorker", "4",
                "model.units", "4"));
        m.put("train.averagingRounds", rounds);
        m.putAll(extra);
        return TrainConfig.from(Config.of(m));
    }

    /** Trains {@code epochs} epochs of the job's master from {@code start}; clears the executors' cache first if asked. */
    private static org.deeplearning4j.nn.multilayer.MultiLayerNetwork train(JavaSparkContext jsc, JavaRDD<DataSet> rdd,
            TrainConfig cfg, org.deeplearning4j.nn.multilayer.MultiLayerNetwork start, int epochs, boolean clearCache) {
        long[] sizes = TrainingData.partitionSizes(rdd);
        var net = start.clone();
        for (int epoch = 0; epoch < epochs; epoch++) {
            if (clearCache) {
                LeanRounds.clear();
            }
            new SparkDl4jMultiLayer(jsc, net, io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, epoch, sizes)).fit(rdd);
        }
        return net;
    }

    @Test
    void leanRoundsGiveDl4jsParametersAndAdamStateForTheSameDeal() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> rdd = randomBatches(jsc);
        var start = NetworkFactory.network(tinyConfig("dl4j"));
        // 23 minibatches, 2 workers, every 3: floor(23 / 6) = 3 rounds per epoch, two epochs
        // three epochs: rpc's second and third run on the deal kept from its first
        var reference = train(jsc, rdd, tinyConfig("dl4j"), start, 3, false);
        assertNotEquals(java.util.Arrays.toString(start.params().toFloatVector()),
                java.util.Arrays.toString(reference.params().toFloatVector()), "training moved the parameters");
        assertEquals(3 * 3 * 4, reference.getLayerWiseConfigurations().getIterationCount(),
                "three epochs of 3 rounds, each advancing the count by the largest share (23 = 6 + 6 + 11: 4)");
        for (String mode : List.of("jobs", "rpc")) {
            long built = LeanRounds.BUILT.get();
            long epochs = RpcRounds.EPOCHS.get();
            var cached = train(jsc, rdd, tinyConfig(mode), start, 3, false);
            assertEquals(mode.equals("rpc") ? 3 : 0, RpcRounds.EPOCHS.get() - epochs, mode + ": epochs over RPC");
            // BarrierTaskContext's timer thread is not a daemon: a job that started it would not exit
            assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith(
                    "Barrier task timer")), mode + ": Spark's barrier timer thread started");
            // one network per worker slot at most is built for the session, then reused from round to round
            assertTrue(LeanRounds.BUILT.get() - built <= 2, mode + ", networks built: "
                    + (LeanRounds.BUILT.get() - built));
            var rebuilt = train(jsc, rdd, tinyConfig(mode), start, 3, true);
            for (var got : List.of(cached, rebuilt)) {
                assertArrayEquals(reference.params().toFloatVector(), got.params().toFloatVector(), 1e-6f, mode);
                assertArrayEquals(reference.getUpdater().getStateViewArray().toFloatVector(),
                        got.getUpdater().getStateViewArray().toFloatVector(), 1e-6f, mode);
                assertEquals(reference.getLayerWiseConfigurations().getIterationCount(),
                        got.getLayerWiseConfigurations().getIterationCount(), mode);
                assertEquals(reference.getLayerWiseConfigurations().getEpochCount(),
                        got.getLayerWiseConfigurations().getEpochCount(), mode);
            }
        }
        RoundTrainingMaster.releaseKeptDeal();
        rdd.unpersist(false);
    }

    /** A reply slot of the averaging endpoint: what it answered, or the failure it sent. */
    static final class Reply implements org.apache.spark.rpc.RpcCallContext {
        Object[] response;
        Throwable failure;

        @Override
        public void reply(Object response) {
            assertTrue(this.response == null && failure == null, "answered twice");
            assertJdkTypesOnly(response);
            this.response = (Object[]) response;
        }

        @Override
        public void sendFailure(Throwable e) {
            assertTrue(response == null && failure == null, "answered twice");
            failure = e;
        }

        @Override
        public org.apache.spark.rpc.RpcAddress senderAddress() {
            return null;
        }

        boolean answered() {
            return response != null || failure != null;
        }

        RpcRounds.Average average() {
            assertTrue(response != null, "no average: " + failure);
            return RpcRounds.Average.of(response);
        }
    }

    /** Sends a message as the tasks do; the reply slot holds the answer when there is one. */
    private static Reply ask(RpcRounds.Averager averager, Object[] message) {
        Reply r = new Reply();
        assertJdkTypesOnly(message);
        averager.receiveAndReply(r).apply(message);
        return r;
    }

    private static Reply send(RpcRounds.Averager averager, RpcRounds.Contribution c) {
        return ask(averager, c.message());
    }

    private static Reply end(RpcRounds.Averager averager, int attempt, int epoch, int worker, double... sums) {
        return ask(averager, new RpcRounds.Ended(attempt, epoch, worker, sums).message());
    }

    /** The driver's release, as RpcRounds.epochs sends it (a one-way message). */
    private static void release(RpcRounds.Averager averager, int epoch, Long next) {
        averager.receive().apply(new Object[]{RpcRounds.RELEASE, epoch, next});
    }

    /**
     * Messages hold JDK types only (arrays, boxed numbers, strings): Spark's RPC reads a remote message with a class
     * loader that may not see the application's jar.
     */
    static void assertJdkTypesOnly(Object m) {
        if (m instanceof Object[] a) {
            for (Object o : a) {
                assertJdkTypesOnly(o);
            }
        } else if (m != null) {
            Class<?> c = m.getClass().isArray() ? m.getClass().getComponentType() : m.getClass();
            assertTrue(c.isPrimitive() || c.getName().startsWith("java."), "not a JDK type: " + m.getClass());
        }
    }

    @Test
    void theRpcEndpointAveragesEachRoundEndsEpochsAndFailsEveryoneOnAnotherStageAttempt() {
        var f = org.nd4j.linalg.api.buffer.DataType.FLOAT;
        var a = org.nd4j.linalg.factory.Nd4j.rand(f, 1, 7);
        var b = org.nd4j.linalg.factory.Nd4j.rand(f, 1, 7);
        var sa = org.nd4j.linalg.factory.Nd4j.rand(f, 1, 14);
        var sb = org.nd4j.linalg.factory.Nd4j.rand(f, 1, 14);
        var ends = new java.util.concurrent.LinkedBlockingQueue<RpcRounds.EpochEnd>();
        // 2 workers, 3 rounds per epoch, averaging every 3, from iteration 10 and epoch 4
        RpcRounds.Averager averager = new RpcRounds.Averager(null, 2, 3, 3, 10, 4, ends);
        // round 0: worker 1 had no minibatch, worker 0's values are the average; nobody is answered before both sent
        Reply w1 = send(averager, new RpcRounds.Contribution(0, 4, 0, 1, null, null, 0));
        assertFalse(w1.answered());
        Reply w0 = send(averager, new RpcRounds.Contribution(0, 4, 0, 0, LeanRounds.Flat.of(a),
                LeanRounds.Flat.of(sa), 2.0));
        for (Reply r : List.of(w0, w1)) {
            RpcRounds.Average got = r.average();
            assertArrayEquals(a.toFloatVector(), got.params().array().toFloatVector(), 0f);
            assertArrayEquals(sa.toFloatVector(), got.state().array().toFloatVector(), 0f);
            assertEquals(2.0, got.score(), 0.0);
            assertEquals(13, got.iteration());
            assertEquals(1, got.workers());
        }
        // round 1: both had data, the exact mean as LeanRounds.average
        w0 = send(averager, new RpcRounds.Contribution(0, 4, 1, 0, LeanRounds.Flat.of(a), LeanRounds.Flat.of(sa),
                1.0));
        assertEquals("unexpected message: worker 0, epoch 4 round 1 of attempt 0 (expecting epoch 4 round 1 of 3)",
                send(averager, new RpcRounds.Contribution(0, 4, 1, 0, null, null, 0)).failure.getMessage(),
                "the same worker twice");
        assertNotNull(send(averager, new RpcRounds.Contribution(0, 4, 2, 1, null, null, 0)).failure, "a later round");
        assertNotNull(send(averager, new RpcRounds.Contribution(0, 5, 1, 1, null, null, 0)).failure, "a later epoch");
        assertNotNull(end(averager, 0, 4, 1, 0, 0, 0, 0).failure, "an end before the rounds");
        w1 = send(averager, new RpcRounds.Contribution(0, 4, 1, 1, LeanRounds.Flat.of(b), LeanRounds.Flat.of(sb),
                3.0));
        assertSame(w0.response, w1.response, "one average for all workers");
        RpcRounds.Average got = w1.average();
        assertArrayEquals(a.add(b).divi(2).toFloatVector(), got.params().array().toFloatVector(), 0f);
        assertArrayEquals(sa.add(sb).divi(2).toFloatVector(), got.state().array().toFloatVector(), 0f);
        assertEquals(2.0, got.score(), 0.0);
        assertEquals(16, got.iteration());
        assertEquals(16, averager.last().iteration());
        // round 2, the epoch's last: nobody had data, the last average stays
        send(averager, new RpcRounds.Contribution(0, 4, 2, 0, null, null, 0));
        Reply empty = send(averager, new RpcRounds.Contribution(0, 4, 2, 1, null, null, 0));
        assertEquals(null, empty.average().params());
        assertEquals(16, averager.last().iteration());
        assertNotNull(send(averager, new RpcRounds.Contribution(0, 4, 3, 0, null, null, 0)).failure, "no round 3");
        // the epoch's end: the losses are summed over the workers; the driver learns it when both have ended, and
        // the tasks wait for the driver's release
        Reply e0 = end(averager, 0, 4, 0, 3.0, 2, 10.0, 4);
        assertTrue(ends.isEmpty());
        Reply e1 = end(averager, 0, 4, 1, 1.0, 2, 2.0, 4);
        RpcRounds.EpochEnd ended = ends.poll();
        assertEquals(4, ended.epoch());
        assertEquals(1.0, ended.validationLoss(), 0.0);
        assertEquals(1.5, ended.trainLoss(), 0.0);
        assertSame(averager.last(), ended.last());
        assertTrue(ended.scored() >= ended.roundsEnded());
        assertFalse(e0.answered() || e1.answered());
        release(averager, 4, 77L);
        assertArrayEquals(new Object[]{77L}, e0.response);
        assertArrayEquals(new Object[]{77L}, e1.response);
        // epoch 5 goes on from the same iteration count; no losses scored: NaN
        assertNotNull(send(averager, new RpcRounds.Contribution(0, 4, 0, 0, null, null, 0)).failure, "an old epoch");
        w0 = send(averager, new RpcRounds.Contribution(0, 5, 0, 0, LeanRounds.Flat.of(b), null, 1.0));
        w1 = send(averager, new RpcRounds.Contribution(0, 5, 0, 1, null, null, 0));
        assertEquals(19, w1.average().iteration());
        assertEquals(null, averager.last().state(), "no updater state sent: none averaged");
        // a message of another stage attempt (Spark does not retry a barrier result stage): every waiting task fails,
        // and every later message
        Reply waiting = send(averager, new RpcRounds.Contribution(0, 5, 1, 0, null, null, 0));
        Reply other = send(averager, new RpcRounds.Contribution(1, 5, 1, 1, null, null, 0));
        assertTrue(waiting.failure.getMessage().contains("stage attempt 1"), waiting.failure.getMessage());
        assertNotNull(other.failure);
        assertNotNull(send(averager, new RpcRounds.Contribution(0, 5, 1, 1, null, null, 0)).failure);
        // stopping the endpoint (the job ends, failed or not) fails whoever still waits
        RpcRounds.Averager second = new RpcRounds.Averager(null, 2, 1, 3, 0, 0, ends);
        Reply pending = send(second, new RpcRounds.Contribution(0, 0, 0, 0, null, null, 0));
        second.onStop();
        assertNotNull(pending.failure);
        assertNotNull(send(second, new RpcRounds.Contribution(0, 0, 0, 1, null, null, 0)).failure);
    }

    /**
     * Worker 1 fails at its {@code update}-th minibatch of a task: in every task, or ({@code once}) only the first time
     * in this JVM (local mode: the tasks run here), so that a first job fails and a second one does not.
     */
    static final class FailWorker1 implements TrainingHook {
        private final int update;
        private final boolean once;
        private int updates;

        FailWorker1(int update, boolean once) {
            this.update = update;
            this.once = once;
        }

        /** At its fourth minibatch, its second round (worker 0 then waits for that round's average). */
        static FailWorker1 inSecondRound(boolean once) {
            return new FailWorker1(4, once);
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet d, Model m) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet d, Model m) {
            if (org.apache.spark.TaskContext.get().partitionId() == 1 && ++updates == update
                    && (!once || FAILED_ONCE.compareAndSet(false, true))) {
                throw new IllegalStateException(once ? "worker 1 fails once" : "worker 1 fails");
            }
        }

        @Override
        public void preUpdate(MultiDataSet d, Model m) {
        }

        @Override
        public void postUpdate(MultiDataSet d, Model m) {
        }
    }

    /** Set by {@link FailWorker1} when it has failed its one task. */
    static final java.util.concurrent.atomic.AtomicBoolean FAILED_ONCE = new java.util.concurrent.atomic.AtomicBoolean();

    @Test
    void aFailingRpcWorkerFailsTheFitAndReleasesTheOthers() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> rdd = randomBatches(jsc);
        long[] sizes = TrainingData.partitionSizes(rdd);
        TrainConfig cfg = tinyConfig("rpc");
        var net = NetworkFactory.network(cfg);
        ParameterAveragingTrainingMaster m = io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, 0, sizes);
        m.addHook(FailWorker1.inSecondRound(false));
        // a deadlock guard, not a speed target: a worker left waiting would hold its slot for a day
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofMinutes(5), () -> {
            Exception e = assertThrows(Exception.class, () -> new SparkDl4jMultiLayer(jsc, net, m).fit(rdd));
            assertTrue(String.valueOf(e.getMessage()).contains("worker 1 fails"), e.toString());
            // worker 0 waited for round 1's average: it was released, and the slots are free for the next fit
            long epochs = RpcRounds.EPOCHS.get();
            new SparkDl4jMultiLayer(jsc, net, io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, 0, sizes)).fit(rdd);
            assertEquals(1, RpcRounds.EPOCHS.get() - epochs);
        });
        rdd.unpersist(false);
    }

    @Test
    void aFailedRpcEpochRunsAgainFromTheDriversNetworkWithTheSameResult() {
        // Spark aborts a barrier ResultStage at its first failure (a lost executor, a failed task) instead of
        // retrying it: the epoch's job is run again, within the task attempts Spark would give (here set to 2)
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> rdd = randomBatches(jsc);
        long[] sizes = TrainingData.partitionSizes(rdd);
        TrainConfig cfg = tinyConfig("rpc");
        var reference = NetworkFactory.network(cfg);
        new SparkDl4jMultiLayer(jsc, reference, io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, 0, sizes)).fit(rdd);
        var net = NetworkFactory.network(cfg);
        ParameterAveragingTrainingMaster m = io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, 0, sizes);
        m.addHook(FailWorker1.inSecondRound(true));
        FAILED_ONCE.set(false);
        long retries = RpcRounds.EPOCH_RETRIES.get();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofMinutes(5), () -> {
            jsc.setLocalProperty(RpcRounds.ATTEMPTS_PROPERTY, "2");
            try {
                new SparkDl4jMultiLayer(jsc, net, m).fit(rdd);
            } finally {
                jsc.setLocalProperty(RpcRounds.ATTEMPTS_PROPERTY, null);
            }
        });
        assertTrue(FAILED_ONCE.get(), "the first job failed");
        assertEquals(1, RpcRounds.EPOCH_RETRIES.get() - retries);
        // the failed job left the driver's network as it was: the second job gives what one clean job gives
        assertArrayEquals(reference.params().toFloatVector(), net.params().toFloatVector(), 0f);
        assertArrayEquals(reference.getUpdater().getStateViewArray().toFloatVector(),
                net.getUpdater().getStateViewArray().toFloatVector(), 0f);
        assertEquals(reference.getLayerWiseConfigurations().getIterationCount(),
                net.getLayerWiseConfigurations().getIterationCount());
        rdd.unpersist(false);
    }

    @Test
    void averagingIsTheExactMeanOfParametersAndUpdaterState() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        TrainConfig cfg = tinyConfig("jobs");
        var net = NetworkFactory.network(cfg);
        net.fit(Tensors.minibatch(List.of(new Tensors.Window(new float[][]{{1, 2, 3, 4, 5, 6, 7, 8}}, 6, 6)), 6, 1,
                false));
        int iterations = net.getLayerWiseConfigurations().getIterationCount();
        long np = net.numParams();
        long ns = net.getUpdater().getStateViewArray().length();
        var a = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, np);
        var b = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, np);
        var sa = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, ns);
        var sb = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, ns);
        float[] wantP = a.add(b).divi(2).toFloatVector();
        float[] wantS = sa.add(sb).divi(2).toFloatVector();
        SparkDl4jMultiLayer s = new SparkDl4jMultiLayer(jsc, net, io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, 0,
                new long[]{12, 11}));
        LeanRounds.average(s, new LeanRounds.Result[]{new LeanRounds.Result(a, sa, 1.0), new LeanRounds.Result(),
                new LeanRounds.Result(b, sb, 3.0)}, 3);
        assertArrayEquals(wantP, net.params().toFloatVector(), 0f);
        assertArrayEquals(wantS, net.getUpdater().getStateViewArray().toFloatVector(), 0f);
        assertEquals(2.0, s.getScore(), 0.0, "mean score of the workers that had data");
        assertEquals(iterations + 3, net.getLayerWiseConfigurations().getIterationCount());
    }

    /** Minibatches with marker labels: window k of batch b has the label base + 1000 * b + k. */
    private static List<DataSet> markedBatches(int count, float base) {
        float[][] seg = new float[1][200];
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            List<Tensors.Window> ws = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                ws.add(new Tensors.Window(seg, 10 + k, 6));
            }
            DataSet d = Tensors.minibatch(ws, 6, 1, false);
            for (int k = 0; k < 4; k++) {
                d.getLabels().putScalar(k, 0, base + 1000f * b + k);
            }
            batches.add(d);
        }
        return batches;
    }

    /** Records "worker:label" of the first window of every minibatch fitted. */
    record FittedBy(CollectionAccumulator<String> acc) implements TrainingHook {
        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet d, Model m) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet d, Model m) {
            acc.add(org.apache.spark.TaskContext.get().partitionId() + ":" + d.getLabels().getFloat(0));
        }

        @Override
        public void preUpdate(MultiDataSet d, Model m) {
        }

        @Override
        public void postUpdate(MultiDataSet d, Model m) {
        }
    }

    /** Counts the stages that wrote shuffle output and the shuffle records read. */
    static final class ShuffleCounter extends org.apache.spark.scheduler.SparkListener {
        final java.util.concurrent.atomic.AtomicInteger writingStages = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong recordsRead = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public void onStageCompleted(org.apache.spark.scheduler.SparkListenerStageCompleted done) {
            var metrics = done.stageInfo().taskMetrics();
            if (metrics != null && metrics.shuffleWriteMetrics().recordsWritten() > 0) {
                writingStages.incrementAndGet();
            }
            if (metrics != null) {
                recordsRead.addAndGet(metrics.shuffleReadMetrics().recordsRead());
            }
        }
    }

    @Test
    void rpcDealsOnceThenEachWorkerKeepsItsMinibatchesAndFitsEachOncePerEpoch() throws Exception {
        TrainConfig cfg = tinyConfig("rpc");
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> rdd = TrainingData.balance(jsc.parallelize(markedBatches(23, 0), 3), 2).cache();
        long[] sizes = TrainingData.partitionSizes(rdd);
        RoundTrainingMaster.releaseKeptDeal();
        var net = NetworkFactory.network(cfg);
        ShuffleCounter counter = new ShuffleCounter();
        jsc.sc().addSparkListener(counter);
        long deals = RoundTrainingMaster.DEALS.get();
        java.util.Map<Float, String> workerOf = new java.util.HashMap<>();
        List<List<String>> orders = new ArrayList<>();
        try {
            for (int epoch = 0; epoch < 3; epoch++) {
                CollectionAccumulator<String> acc = jsc.sc().collectionAccumulator();
                ParameterAveragingTrainingMaster m = io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, epoch, sizes);
                m.addHook(new FittedBy(acc));
                jsc.sc().listenerBus().waitUntilEmpty();
                int writing = counter.writingStages.get();
                long read = counter.recordsRead.get();
                new SparkDl4jMultiLayer(jsc, net, m).fit(rdd);
                jsc.sc().listenerBus().waitUntilEmpty();
                List<Float> got = new ArrayList<>();
                for (String f : acc.value()) {
                    Float label = Float.valueOf(f.substring(f.indexOf(':') + 1));
                    got.add(label);
                    String before = workerOf.putIfAbsent(label, f);
                    assertTrue(before == null || before.equals(f), "worker changed: " + before + " then " + f);
                }
                orders.add(new ArrayList<>(acc.value()));
                Collections.sort(got);
                List<Float> want = new ArrayList<>();
                for (int b = 0; b < 23; b++) {
                    want.add(1000f * b);
                }
                assertEquals(want, got, "epoch " + epoch + ": every minibatch exactly once");
                if (epoch == 0) {
                    assertEquals(1, counter.writingStages.get() - writing, "the first epoch deals: one shuffle");
                    assertEquals(23, counter.recordsRead.get() - read, "the first epoch reads the deal");
                } else {
                    assertEquals(0, counter.writingStages.get() - writing, "epoch " + epoch + " shuffled");
                    assertEquals(0, counter.recordsRead.get() - read, "epoch " + epoch + " read the shuffle "
                            + "instead of the kept partitions");
                }
            }
            assertEquals(1, RoundTrainingMaster.DEALS.get() - deals);
            assertNotEquals(orders.get(1), orders.get(2), "each epoch its own order over the rounds");
        } finally {
            jsc.sc().removeSparkListener(counter);
            RoundTrainingMaster.releaseKeptDeal();
            rdd.unpersist(false);
        }
        assertEquals(null, RoundTrainingMaster.keptDealRdd(), "released");
    }

    @Test
    void rpcRerunsAreIdenticalWithOrWithoutTheKeptPartitionsInMemory() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        JavaRDD<DataSet> rdd = randomBatches(jsc);
        TrainConfig cfg = tinyConfig("rpc");
        var start = NetworkFactory.network(cfg);
        long[] sizes = TrainingData.partitionSizes(rdd);
        try {
            RoundTrainingMaster.releaseKeptDeal();
            var once = train(jsc, rdd, cfg, start, 3, false);
            // the same deal is still kept: a rerun reads it from memory
            var again = train(jsc, rdd, cfg, start, 3, false);
            // the kept partitions dropped from memory after the first epoch: read from the shuffle again
            var net = start.clone();
            for (int epoch = 0; epoch < 3; epoch++) {
                if (epoch == 1) {
                    RoundTrainingMaster.keptDealRdd().unpersist(true);
                }
                new SparkDl4jMultiLayer(jsc, net, io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, epoch, sizes))
                        .fit(rdd);
            }
            // dealt afresh
            RoundTrainingMaster.releaseKeptDeal();
            var fresh = train(jsc, rdd, cfg, start, 3, false);
            for (var got : List.of(again, net, fresh)) {
                assertArrayEquals(once.params().toFloatVector(), got.params().toFloatVector(), 0f);
                assertArrayEquals(once.getUpdater().getStateViewArray().toFloatVector(),
                        got.getUpdater().getStateViewArray().toFloatVector(), 0f);
            }
        } finally {
            RoundTrainingMaster.releaseKeptDeal();
            rdd.unpersist(false);
        }
    }

    @Test
    void theKeptDealIsNotReusedForAnotherRdd() {
        TrainConfig cfg = tinyConfig("rpc");
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
        // the same partition sizes and deal, other minibatches
        JavaRDD<DataSet> a = TrainingData.balance(jsc.parallelize(markedBatches(23, 0), 3), 2).cache();
        JavaRDD<DataSet> b = TrainingData.balance(jsc.parallelize(markedBatches(23, 500), 3), 2).cache();
        long[] sizes = TrainingData.partitionSizes(a);
        assertArrayEquals(sizes, TrainingData.partitionSizes(b));
        var net = NetworkFactory.network(cfg);
        long deals = RoundTrainingMaster.DEALS.get();
        try {
            int epoch = 0;
            for (JavaRDD<DataSet> rdd : List.of(a, a, b, b, a)) {
                float base = rdd == a ? 0 : 500;
                CollectionAccumulator<Float> acc = jsc.sc().collectionAccumulator();
                ParameterAveragingTrainingMaster m = io.tsforge.jobs.TrainJob.trainingMaster(cfg, 2, epoch++, sizes);
                m.addHook(new Fitted(acc));
                new SparkDl4jMultiLayer(jsc, net, m).fit(rdd);
                List<Float> got = new ArrayList<>(acc.value());
                Collections.sort(got);
                List<Float> want = new ArrayList<>();
                for (int i = 0; i < 23; i++) {
                    want.add(base + 1000f * i);
                }
                assertEquals(want, got, "epoch " + epoch + " on " + (rdd == a ? "a" : "b"));
            }
            assertEquals(3, RoundTrainingMaster.DEALS.get() - deals, "dealt for a, b, then a again");
        } finally {
            RoundTrainingMaster.releaseKeptDeal();
            a.unpersist(false);
            b.unpersist(false);
        }
    }

    @Test
    void theDealsShuffleSerializerRoundTripsSlotsAndMinibatchesWithMasks() {
        var rnd = org.nd4j.linalg.factory.Nd4j.getRandom();
        rnd.setSeed(3);
        DataSet masked = new DataSet(org.nd4j.linalg.factory.Nd4j.rand(3, 2, 5),
                org.nd4j.linalg.factory.Nd4j.rand(3, 1), org.nd4j.linalg.factory.Nd4j.ones(3, 5), null);
        DataSet plain = new DataSet(org.nd4j.linalg.factory.Nd4j.rand(2, 1, 4), org.nd4j.linalg.factory.Nd4j.rand(2, 1));
        var ser = new DealSerializer().newInstance();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        var out = ser.serializeStream(bytes);
        out.writeKey(7L, scala.reflect.ClassTag$.MODULE$.apply(Long.class));
        out.writeValue(masked, scala.reflect.ClassTag$.MODULE$.apply(DataSet.class));
        out.writeKey(2L, scala.reflect.ClassTag$.MODULE$.apply(Long.class));
        out.writeValue(plain, scala.reflect.ClassTag$.MODULE$.apply(DataSet.class));
        out.close();
        var it = ser.deserializeStream(new java.io.ByteArrayInputStream(bytes.toByteArray())).asKeyValueIterator();
        List<scala.Tuple2<Object, Object>> got = new ArrayList<>();
        while (it.hasNext()) {
            got.add(it.next());
        }
        assertEquals(2, got.size());
        assertEquals(7L, got.get(0)._1());
        assertEquals(masked, got.get(0)._2());
        assertEquals(2L, got.get(1)._1());
        assertEquals(plain, got.get(1)._2());
        assertEquals(null, ((DataSet) got.get(1)._2()).getFeaturesMaskArray());
        assertThrows(IllegalArgumentException.class, () -> ser.serialize("text",
                scala.reflect.ClassTag$.MODULE$.apply(String.class)));
    }
}
