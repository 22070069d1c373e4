package io.tsforge.spark;

import org.apache.spark.SparkEnv;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.rpc.RpcCallContext;
import org.apache.spark.rpc.RpcEndpoint;
import org.apache.spark.rpc.RpcEndpointRef;
import org.apache.spark.rpc.RpcEnv;
import org.apache.spark.rpc.RpcTimeout;
import org.apache.spark.rpc.ThreadSafeRpcEndpoint;
import org.apache.spark.util.RpcUtils;
import org.deeplearning4j.datasets.iterator.IteratorDataSetIterator;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import scala.Function1;
import scala.PartialFunction;
import scala.Tuple2;
import scala.concurrent.Await;
import scala.concurrent.Future;
import scala.concurrent.duration.Duration;
import scala.concurrent.duration.FiniteDuration;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.AbstractPartialFunction;
import scala.runtime.BoxedUnit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Epochs of averaging rounds as ONE Spark job ({@code train.averagingRounds=rpc}): {@code workers} barrier tasks
 * (Spark starts them all at once, or fails the stage fast), each running all of its rounds, epoch after epoch, on a
 * network from {@link LeanRounds}' executor cache. After every round a task sends its parameters, updater state and
 * score to an averaging endpoint on the driver over Spark's own RPC environment (no port of ours) and blocks on the
 * reply, which the endpoint sends to all the round's tasks when the last one arrives (as Spark's
 * {@code BarrierCoordinator} does for {@code barrier()}, but without its 1 s polling): the mean of parameters and
 * updater state over the workers that had data, the mean score and the iteration count advanced by the averaging
 * frequency, exactly the arithmetic of {@link LeanRounds#average}. The tasks set it and go on with the next round.
 *
 * <p>At the end of an epoch every task scores its share of the validation minibatches (and, when asked, its training
 * minibatches) with the epoch's last average, as DL4J's {@code calculateScore} does (the sum of
 * {@code score(minibatch) x examples}), and sends the sums. When all have, the driver's network takes the epoch's last
 * average (parameters, updater state, score, iteration count) and the driver's {@link Control} runs (the train job
 * records the losses, checkpoints and decides on early stopping) while the tasks wait; its answer, the next epoch's
 * seed or stop, releases them. A job per epoch (or per round, {@code jobs}) would pay Spark's per-job costs (task
 * serialization and launch, scheduling, per-job JIT) and two scoring jobs every epoch; here once per training.
 *
 * <p>The endpoint has a fresh name per job and is stopped when the job ends, failed or not (pending tasks get a
 * failure). Spark aborts a barrier ResultStage at its first failure (it never retries one): a job that fails so (a lost
 * executor, a failed task) is run again, with a new endpoint, from the driver's network (which holds the last ended
 * epoch) at the epoch that failed, up to as many times as Spark would attempt a task ({@code spark.task.maxFailures};
 * once in {@code local[N]}) without an epoch ending in between, so a retried epoch gives what a clean one gives.
 * Messages carry the stage attempt: a message of another attempt than the job's first fails every task of the job
 * (which then runs again from the driver's network). A waiting task also checks every 200 ms whether Spark killed it
 * (a barrier stage is killed without interrupting the threads), which costs nothing when replies arrive: the wait
 * ends with the reply.
 */
public final class RpcRounds {

    private RpcRounds() {
    }

    /** Epochs ended over RPC (driver side): for tests and diagnostics. */
    static final AtomicLong EPOCHS = new AtomicLong();

    /** Averaging jobs started (driver side): for tests and diagnostics. */
    static final AtomicLong JOBS = new AtomicLong();

    /** Jobs run again after their barrier job failed (driver side): for tests and diagnostics. */
    static final AtomicLong EPOCH_RETRIES = new AtomicLong();

    /** What Spark's DAGScheduler says when it aborts a barrier result stage instead of retrying it. */
    static final String BARRIER_RESULT_STAGE_FAILED = "Could not recover from a failed barrier ResultStage";

    /**
     * A local property of the driver thread that sets how many times a job may fail without an epoch ending in
     * between (tests; default: as many attempts as Spark gives a task, {@code spark.task.maxFailures}, 1 in
     * {@code local[N]}).
     */
    static final String ATTEMPTS_PROPERTY = "tsforge.rpc.epochAttempts";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RpcRounds.class);

    /**
     * How many times an epoch's barrier job may run: Spark retries a failed task (here: the stage, a lost executor
     * included) up to its scheduler's task attempts, but aborts a barrier ResultStage at its first failure, so the
     * epoch is retried here with the same budget.
     */
    static int attempts(org.apache.spark.SparkContext sc) {
        String p = sc.getLocalProperty(ATTEMPTS_PROPERTY);
        if (p != null) {
            return Math.max(1, Integer.parseInt(p));
        }
        if (sc.taskScheduler() instanceof org.apache.spark.scheduler.TaskSchedulerImpl t) {
            return Math.max(1, t.maxTaskFailures());
        }
        return 1;
    }

    /** The longest a task waits for an answer (the other workers' fits, or the driver between epochs): a day. */
    static final long MAX_WAIT_SECONDS = TimeUnit.DAYS.toSeconds(1);

    /** Message kinds, the first element of every message: a round's contribution, an epoch's end, a release. */
    static final String ROUND = "round";
    static final String END = "end";
    static final String RELEASE = "release";

    /*
     * Messages are arrays of JDK types only (Flat.message): Spark's RPC deserializes a remote message with the class
     * loader it was created with, which on an executor may not see the application's jar (Spark's own
     * BarrierCoordinator only sends Spark and JDK types). A message within one JVM (local mode) is passed as it is,
     * not serialized: the average is one set of arrays that every worker only reads.
     */

    /** A worker's round: its parameters, updater state and score, all null/0 when it had no minibatch. */
    record Contribution(int attempt, int epoch, int round, int worker, LeanRounds.Flat params, LeanRounds.Flat state,
                        double score) {
        Object[] message() {
            return new Object[]{ROUND, new int[]{attempt, epoch, round, worker}, score,
                    LeanRounds.Flat.message(params), LeanRounds.Flat.message(state)};
        }

        static Contribution of(Object[] m) {
            int[] h = (int[]) m[1];
            return new Contribution(h[0], h[1], h[2], h[3], LeanRounds.Flat.fromMessage(m[3]),
                    LeanRounds.Flat.fromMessage(m[4]), (Double) m[2]);
        }
    }

    /**
     * A worker's end of an epoch: {@code sums} holds its summed example losses and example counts over its validation
     * minibatches, then over its training minibatches (zeros when not scored), with the epoch's last average.
     */
    record Ended(int attempt, int epoch, int worker, double[] sums) {
        Object[] message() {
            return new Object[]{END, new int[]{attempt, epoch, worker}, sums};
        }

        static Ended of(Object[] m) {
            int[] h = (int[]) m[1];
            return new Ended(h[0], h[1], h[2], (double[]) m[2]);
        }
    }

    /**
     * A round's average: parameters and updater state (null: no worker had data, or the updater state is not
     * averaged), mean score, iteration count after the round, and how many workers had data.
     */
    record Average(LeanRounds.Flat params, LeanRounds.Flat state, double score, int iteration, int workers) {
        Object[] message() {
            return new Object[]{new int[]{iteration, workers}, score, LeanRounds.Flat.message(params),
                    LeanRounds.Flat.message(state)};
        }

        static Average of(Object[] m) {
            int[] h = (int[]) m[0];
            return new Average(LeanRounds.Flat.fromMessage(m[2]), LeanRounds.Flat.fromMessage(m[3]), (Double) m[1],
                    h[0], h[1]);
        }
    }

    /**
     * An epoch as the driver learns it when every worker has ended it: the last average with parameters (null if no
     * worker had data yet), the mean training and validation losses (NaN when not scored), and when its last round and
     * its scoring ended ({@link System#nanoTime}).
     */
    record EpochEnd(int epoch, Average last, double trainLoss, double validationLoss, long roundsEnded,
                    long scored) {
    }

    /** The driver between epochs. */
    interface Control {
        /**
         * Called when an epoch has ended, with its average already in the driver's network (the tasks wait meanwhile).
         *
         * @return the next epoch's seed (its order of each worker's minibatches over the rounds), or null to stop
         */
        Long next(EpochEnd end) throws Exception;
    }

    /** A worker's data: its dealt training minibatches keyed by dealt slot, and its validation ones keyed by order. */
    record WorkerData(List<Tuple2<Long, DataSet>> train, List<Tuple2<Long, DataSet>> validation)
            implements Serializable {
    }

    /**
     * The tasks' input: one {@link WorkerData} per worker, from {@code byWorker} (one partition per worker, holding its
     * minibatches keyed by their dealt slots, {@link RoundTrainingMaster.Deal#dealt}, in any order) and, if not null,
     * {@code validationByWorker} (as many partitions, minibatches keyed by a unique order).
     */
    static RDD<WorkerData> input(RDD<Tuple2<Long, DataSet>> byWorker, RDD<Tuple2<Long, DataSet>> validationByWorker) {
        if (validationByWorker == null) {
            return byWorker.mapPartitions(new Single(), true, ClassTag$.MODULE$.apply(WorkerData.class));
        }
        return byWorker.zipPartitions(validationByWorker, true, new Pair(), ClassTag$.MODULE$.apply(Tuple2.class),
                ClassTag$.MODULE$.apply(WorkerData.class));
    }

    private static List<Tuple2<Long, DataSet>> list(scala.collection.Iterator<Tuple2<Long, DataSet>> it) {
        List<Tuple2<Long, DataSet>> out = new ArrayList<>();
        scala.collection.JavaConverters.asJavaIteratorConverter(it).asJava().forEachRemaining(out::add);
        return out;
    }

    private static final class Single extends AbstractFunction1<scala.collection.Iterator<Tuple2<Long, DataSet>>,
            scala.collection.Iterator<WorkerData>> implements Serializable {
        @Override
        public scala.collection.Iterator<WorkerData> apply(scala.collection.Iterator<Tuple2<Long, DataSet>> train) {
            return scala.collection.Iterator$.MODULE$.single(new WorkerData(list(train), List.of()));
        }
    }

    private static final class Pair extends AbstractFunction2<scala.collection.Iterator<Tuple2<Long, DataSet>>,
            scala.collection.Iterator<Tuple2<Long, DataSet>>, scala.collection.Iterator<WorkerData>>
            implements Serializable {
        @Override
        public scala.collection.Iterator<WorkerData> apply(scala.collection.Iterator<Tuple2<Long, DataSet>> train,
                                                           scala.collection.Iterator<Tuple2<Long, DataSet>> val) {
            return scala.collection.Iterator$.MODULE$.single(new WorkerData(list(train), list(val)));
        }
    }

    /** One epoch, as DL4J's {@code fit} of an epoch: the driver's network ends with the epoch's last average. */
    static void epoch(SparkDl4jMultiLayer network, RDD<Tuple2<Long, DataSet>> byWorker, RoundTrainingMaster.Deal deal,
                      LeanRounds.Session session, int batchSize, int averagingFrequency, int prefetch,
                      boolean saveUpdater, Collection<TrainingHook> hooks) {
        try {
            epochs(network, input(byWorker, null), deal, session, batchSize, averagingFrequency, prefetch,
                    saveUpdater, hooks, false, batchSize, network.getNetwork().getLayerWiseConfigurations()
                            .getEpochCount(), end -> null);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // a SparkException (checked) from the job
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Runs epochs {@code firstEpoch, firstEpoch + 1, ...} in one barrier job (run again after a failure, see above)
     * until {@code control} answers null.
     *
     * @param input      one {@link WorkerData} per worker ({@link #input}); the training minibatches may be kept from
     *                   an earlier job of the same deal (RoundTrainingMaster's kept deal)
     * @param deal       the deal, with the first epoch's seed
     * @param trainLoss  whether the tasks also score their training minibatches at the end of every epoch
     * @param scoreBatch the minibatch size of the scoring, as DL4J's {@code calculateScore}'s
     */
    static void epochs(SparkDl4jMultiLayer network, RDD<WorkerData> input, RoundTrainingMaster.Deal deal,
                       LeanRounds.Session session, int batchSize, int averagingFrequency, int prefetch,
                       boolean saveUpdater, Collection<TrainingHook> hooks, boolean trainLoss, int scoreBatch,
                       int firstEpoch, Control control) throws Exception {
        MultiLayerNetwork net = network.getNetwork();
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        org.apache.spark.SparkContext sc = input.context();
        RpcEnv env = SparkEnv.get().rpcEnv();
        int attempts = attempts(sc);
        int failures = 0;
        int epoch = firstEpoch;
        RoundTrainingMaster.Deal d = deal;
        while (true) {
            Updater updater = net.getUpdater();
            INDArray state = updater == null ? null : updater.getStateViewArray();
            LeanRounds.Task task = new LeanRounds.Task(session, net.params(), state, conf.getIterationCount(),
                    conf.getEpochCount(), batchSize, averagingFrequency, prefetch, saveUpdater,
                    hooks == null ? null : new ArrayList<>(hooks));
            String name = "tsforge-averaging-" + UUID.randomUUID();
            BlockingQueue<EpochEnd> ends = new LinkedBlockingQueue<>();
            Averager averager = new Averager(env, d.workers, d.rounds, averagingFrequency, conf.getIterationCount(),
                    epoch, ends);
            RpcEndpointRef ref = env.setupEndpoint(name, averager);
            JOBS.incrementAndGet();
            JavaFutureAction<List<Integer>> job = null;
            boolean finished = false;
            try {
                job = new JavaRDD<>(input.barrier().mapPartitions(new EpochTask(task, d, name, epoch, trainLoss,
                        scoreBatch), false, ClassTag$.MODULE$.apply(Integer.class)),
                        ClassTag$.MODULE$.apply(Integer.class)).collectAsync();
                while (true) {
                    EpochEnd end = ends.poll(20, TimeUnit.MILLISECONDS);
                    if (end == null) {
                        if (job.isDone()) {
                            job.get();
                            throw new IllegalStateException("the averaging job ended before epoch " + epoch
                                    + " did");
                        }
                        continue;
                    }
                    apply(network, end.last());
                    EPOCHS.incrementAndGet();
                    failures = 0;
                    Long next = control.next(end);
                    ref.send(new Object[]{RELEASE, end.epoch(), next});
                    if (next == null) {
                        job.get();
                        finished = true;
                        return;
                    }
                    epoch++;
                    d = d.withEpochSeed(next);
                }
            } catch (ExecutionException e) {
                Exception cause = e.getCause() instanceof Exception c ? c : e;
                // Spark never retries a failed barrier ResultStage (a lost executor, a failed task): the epoch runs
                // again from the driver's network, which only takes an average when an epoch has ended
                if (!(cause instanceof SparkException) || ++failures >= attempts || sc.isStopped()
                        || !String.valueOf(cause.getMessage()).contains(BARRIER_RESULT_STAGE_FAILED)) {
                    throw cause;
                }
                LOG.warn("averaging job failed in epoch {} (attempt {} of {}), running it again: {}", epoch, failures,
                        attempts, cause.getMessage());
                EPOCH_RETRIES.incrementAndGet();
            } finally {
                env.stop(ref);
                if (!finished && job != null && !job.isDone()) {
                    // the control failed: the tasks (failed by the stopped endpoint) free their slots before we return
                    job.cancel(true);
                    try {
                        job.get(1, TimeUnit.MINUTES);
                    } catch (Exception ignored) {
                        // cancelled
                    }
                }
            }
        }
    }

    /** The driver's network takes an average (as after DL4J's fit of an epoch: parameters, state, score, count). */
    private static void apply(SparkDl4jMultiLayer network, Average last) {
        if (last == null || last.params() == null) {
            return;
        }
        MultiLayerNetwork net = network.getNetwork();
        last.params().copyInto(net.params());
        if (last.state() != null) {
            last.state().copyInto(net.getUpdater().getStateViewArray());
        }
        network.setScore(last.score());
        net.getLayerWiseConfigurations().setIterationCount(last.iteration());
    }

    /** Adds {@code score(minibatch) x examples} and examples into {@code sums[at]} and {@code sums[at + 1]}. */
    static void score(MultiLayerNetwork net, List<DataSet> batches, int batchSize, double[] sums, int at) {
        if (batches.isEmpty()) {
            return;
        }
        // re-batched as DL4J's calculateScore does (ScoreFlatMapFunction)
        DataSetIterator it = new IteratorDataSetIterator(batches.iterator(), batchSize);
        while (it.hasNext()) {
            DataSet ds = it.next();
            long n = ds.getFeatures().size(0);
            sums[at] += net.score(ds, false) * n;
            sums[at + 1] += n;
        }
    }

    /** A worker's epochs: its rounds in slot order, each followed by the endpoint's average, then its losses. */
    static final class EpochTask extends AbstractFunction1<scala.collection.Iterator<WorkerData>,
            scala.collection.Iterator<Integer>> implements Serializable {
        private final LeanRounds.Task task;
        private final RoundTrainingMaster.Deal deal;
        private final String endpoint;
        private final int firstEpoch;
        private final boolean trainLoss;
        private final int scoreBatch;

        EpochTask(LeanRounds.Task task, RoundTrainingMaster.Deal deal, String endpoint, int firstEpoch,
                  boolean trainLoss, int scoreBatch) {
            this.task = task;
            this.deal = deal;
            this.endpoint = endpoint;
            this.firstEpoch = firstEpoch;
            this.trainLoss = trainLoss;
            this.scoreBatch = scoreBatch;
        }

        @Override
        public scala.collection.Iterator<Integer> apply(scala.collection.Iterator<WorkerData> data) {
            // TaskContext.get() is the BarrierTaskContext; BarrierTaskContext.get() would start its companion's timer
            // thread (not a daemon: the JVM would not exit), which only barrier() and allGather() use
            TaskContext ctx = TaskContext.get();
            int worker = ctx.partitionId();
            int attempt = ctx.stageAttemptNumber();
            WorkerData mine = data.hasNext() ? data.next() : new WorkerData(List.of(), List.of());
            // the partitions may be kept from an earlier job (RoundTrainingMaster's kept deal): the lists are this
            // task's own, the cached minibatches are not changed
            List<DataSet> validation = sorted(mine.validation());
            List<DataSet> train = trainLoss ? sorted(mine.train()) : List.of();
            SparkEnv spark = SparkEnv.get();
            RpcEndpointRef ref = RpcUtils.makeDriverRef(endpoint, spark.conf(), spark.rpcEnv());
            RpcTimeout timeout = new RpcTimeout(new FiniteDuration(MAX_WAIT_SECONDS, TimeUnit.SECONDS),
                    "tsforge.averaging");
            MultiLayerNetwork net = null;
            boolean healthy = false;
            try {
                net = task.prepare();
                RoundTrainingMaster.Deal d = deal;
                for (int epoch = firstEpoch; ; epoch++) {
                    List<List<DataSet>> rounds = rounds(mine.train(), d, worker);
                    for (int r = 0; r < d.rounds; r++) {
                        List<DataSet> batches = rounds.get(r);
                        rounds.set(r, null);
                        Contribution c;
                        if (batches.isEmpty()) {
                            c = new Contribution(attempt, epoch, r, worker, null, null, 0);
                        } else {
                            task.fit(net, batches.iterator());
                            INDArray st = task.saveUpdater && net.getUpdater() != null
                                    ? net.getUpdater().getStateViewArray() : null;
                            c = new Contribution(attempt, epoch, r, worker, LeanRounds.Flat.of(net.params()),
                                    LeanRounds.Flat.of(st), net.score());
                        }
                        Average a = Average.of(await(ref.ask(c.message(), timeout,
                                ClassTag$.MODULE$.apply(Object[].class)), ctx));
                        if (a.params() != null) {
                            a.params().copyInto(net.params());
                            if (a.state() != null) {
                                a.state().copyInto(net.getUpdater().getStateViewArray());
                            } else if (task.updaterState != null) {
                                // updater state not averaged (saveUpdater false): every round starts from the
                                // driver's
                                task.updaterState.copyInto(net.getUpdater().getStateViewArray());
                            }
                            net.getLayerWiseConfigurations().setIterationCount(a.iteration());
                        }
                    }
                    double[] sums = new double[4];
                    score(net, validation, scoreBatch, sums, 0);
                    score(net, train, scoreBatch, sums, 2);
                    Object next = await(ref.ask(new Ended(attempt, epoch, worker, sums).message(), timeout,
                            ClassTag$.MODULE$.apply(Object[].class)), ctx)[0];
                    if (next == null) {
                        break;
                    }
                    d = d.withEpochSeed((Long) next);
                    // as the driver's fit of the epoch ends (incrementEpochCount)
                    net.incrementEpochCount();
                }
                healthy = true;
                return scala.collection.Iterator$.MODULE$.single(worker);
            } finally {
                if (healthy) {
                    LeanRounds.give(task.session.key(), net);
                }
            }
        }

        private static List<DataSet> sorted(List<Tuple2<Long, DataSet>> keyed) {
            List<Tuple2<Long, DataSet>> s = new ArrayList<>(keyed);
            s.sort(Comparator.comparingLong(Tuple2::_1));
            List<DataSet> out = new ArrayList<>(s.size());
            for (Tuple2<Long, DataSet> t : s) {
                out.add(t._2());
            }
            return out;
        }

        /**
         * The worker's minibatches of each round of the deal's epoch, in slot order: the order of DL4J's rounds over the
         * sorted shuffle of the same deal.
         */
        private static List<List<DataSet>> rounds(List<Tuple2<Long, DataSet>> dealt, RoundTrainingMaster.Deal deal,
                                                  int worker) {
            List<Tuple2<Long, DataSet>> slotted = new ArrayList<>(dealt.size());
            for (Tuple2<Long, DataSet> t : dealt) {
                slotted.add(new Tuple2<>(deal.epochSlot(t._1()), t._2()));
            }
            slotted.sort(Comparator.comparingLong(Tuple2::_1));
            List<List<DataSet>> rounds = new ArrayList<>(deal.rounds);
            for (int r = 0; r < deal.rounds; r++) {
                rounds.add(new ArrayList<>());
            }
            for (Tuple2<Long, DataSet> t : slotted) {
                int p = deal.partition(t._1());
                if (p % deal.workers != worker) {
                    throw new IllegalStateException("slot " + t._1() + " of worker " + p % deal.workers
                            + " in worker " + worker + "'s partition");
                }
                rounds.get(p / deal.workers).add(t._2());
            }
            return rounds;
        }

        /** Waits for the reply (the wait ends as soon as it arrives), failing the task if Spark killed it. */
        private static Object[] await(Future<Object[]> reply, TaskContext ctx) {
            FiniteDuration slice = Duration.create(200, TimeUnit.MILLISECONDS);
            while (true) {
                try {
                    return Await.result(reply, slice);
                } catch (TimeoutException e) {
                    ctx.killTaskIfInterrupted();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("averaging failed: " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * The driver's averaging endpoint for one job. Spark's dispatcher gives a {@link ThreadSafeRpcEndpoint} one message
     * at a time, so the state below needs no locks ({@link #last} is read by another thread, and ended epochs go to the
     * driver's thread through a queue).
     */
    static final class Averager implements ThreadSafeRpcEndpoint {
        private final RpcEnv env;
        private final int workers;
        private final int rounds;
        private final int frequency;
        private final BlockingQueue<EpochEnd> ends;
        private int attempt = -1;
        private int epoch;
        private int round;
        private int iteration;
        private Contribution[] got;
        private RpcCallContext[] waiting;
        private int arrived;
        private double[][] sums;
        private RpcCallContext[] ending;
        private int endedCount;
        private long roundsEnded;
        private String broken;
        private volatile Average last;
        private volatile boolean stopped;

        /**
         * @param rounds         rounds per epoch (every worker sends one contribution per round, empty or not)
         * @param startIteration the iteration count the job starts from
         * @param firstEpoch     the job's first epoch
         * @param ends           where ended epochs go (the driver's thread takes them)
         */
        Averager(RpcEnv env, int workers, int rounds, int frequency, int startIteration, int firstEpoch,
                 BlockingQueue<EpochEnd> ends) {
            RpcEndpoint.$init$(this);
            this.env = env;
            this.workers = workers;
            this.rounds = rounds;
            this.frequency = frequency;
            this.iteration = startIteration;
            this.epoch = firstEpoch;
            this.ends = ends;
            this.got = new Contribution[workers];
            this.waiting = new RpcCallContext[workers];
            this.sums = new double[workers][];
            this.ending = new RpcCallContext[workers];
        }

        @Override
        public RpcEnv rpcEnv() {
            return env;
        }

        /** The last average with parameters (null before the first round that had data). */
        Average last() {
            return last;
        }

        @Override
        public PartialFunction<Object, BoxedUnit> receiveAndReply(RpcCallContext context) {
            return handler(context);
        }

        @Override
        public PartialFunction<Object, BoxedUnit> receive() {
            return handler(null);
        }

        private PartialFunction<Object, BoxedUnit> handler(RpcCallContext context) {
            return new AbstractPartialFunction<>() {
                @Override
                public boolean isDefinedAt(Object m) {
                    return m instanceof Object[] a && a.length > 0 && a[0] instanceof String;
                }

                @Override
                public <A1, B1> B1 applyOrElse(A1 m, Function1<A1, B1> otherwise) {
                    if (!isDefinedAt(m)) {
                        return otherwise.apply(m);
                    }
                    Object[] message = (Object[]) m;
                    switch ((String) message[0]) {
                        case ROUND -> receive(Contribution.of(message), context);
                        case END -> receive(Ended.of(message), context);
                        case RELEASE -> release((Integer) message[1], (Long) message[2]);
                        default -> {
                            return otherwise.apply(m);
                        }
                    }
                    @SuppressWarnings("unchecked")
                    B1 unit = (B1) BoxedUnit.UNIT;
                    return unit;
                }
            };
        }

        /** Whether a message of this stage attempt is refused (then it has been answered with a failure). */
        private boolean refused(int messageAttempt, RpcCallContext context) {
            if (stopped) {
                context.sendFailure(new SparkException("the averaging endpoint is stopped"));
                return true;
            }
            if (attempt < 0) {
                attempt = messageAttempt;
            } else if (messageAttempt != attempt && broken == null) {
                // Spark does not retry a barrier result stage: a message of another attempt means a stage this job
                // cannot finish; every task fails, and the driver runs the job again from its network
                broken = "a message of stage attempt " + messageAttempt + " in the averaging of attempt " + attempt;
                failWaiting(broken);
            }
            if (broken != null) {
                context.sendFailure(new SparkException(broken));
                return true;
            }
            return false;
        }

        void receive(Contribution c, RpcCallContext context) {
            if (refused(c.attempt(), context)) {
                return;
            }
            if (c.worker() < 0 || c.worker() >= workers || c.epoch() != epoch || c.round() != round
                    || round >= rounds || got[c.worker()] != null) {
                context.sendFailure(new SparkException("unexpected message: worker " + c.worker() + ", epoch "
                        + c.epoch() + " round " + c.round() + " of attempt " + c.attempt() + " (expecting epoch "
                        + epoch + " round " + round + " of " + rounds + ")"));
                return;
            }
            got[c.worker()] = c;
            waiting[c.worker()] = context;
            arrived++;
            if (arrived < workers) {
                return;
            }
            Average a = average(got);
            if (a.params() != null) {
                last = a;
            }
            Object[] reply = a.message();
            RpcCallContext[] replies = waiting;
            got = new Contribution[workers];
            waiting = new RpcCallContext[workers];
            arrived = 0;
            round++;
            if (round == rounds) {
                roundsEnded = System.nanoTime();
            }
            for (RpcCallContext r : replies) {
                r.reply(reply);
            }
        }

        void receive(Ended e, RpcCallContext context) {
            if (refused(e.attempt(), context)) {
                return;
            }
            if (e.worker() < 0 || e.worker() >= workers || e.epoch() != epoch || round != rounds
                    || sums[e.worker()] != null || e.sums() == null || e.sums().length != 4) {
                context.sendFailure(new SparkException("unexpected end of epoch " + e.epoch() + " from worker "
                        + e.worker() + " (epoch " + epoch + ", round " + round + " of " + rounds + ")"));
                return;
            }
            sums[e.worker()] = e.sums();
            ending[e.worker()] = context;
            endedCount++;
            if (endedCount < workers) {
                return;
            }
            double[] total = new double[4];
            for (double[] s : sums) {
                for (int i = 0; i < 4; i++) {
                    total[i] += s[i];
                }
            }
            ends.add(new EpochEnd(epoch, last, total[3] > 0 ? total[2] / total[3] : Double.NaN,
                    total[1] > 0 ? total[0] / total[1] : Double.NaN, roundsEnded, System.nanoTime()));
        }

        /** The driver's answer at the end of {@code ended}: the tasks go on with the next epoch's seed, or stop. */
        void release(int ended, Long next) {
            if (stopped || broken != null) {
                return;
            }
            if (ended != epoch || endedCount != workers) {
                broken = "release of epoch " + ended + " while epoch " + epoch + " has " + endedCount + " of "
                        + workers + " ends";
                failWaiting(broken);
                return;
            }
            Object[] reply = new Object[]{next};
            RpcCallContext[] replies = ending;
            sums = new double[workers][];
            ending = new RpcCallContext[workers];
            endedCount = 0;
            if (next != null) {
                epoch++;
                round = 0;
            }
            for (RpcCallContext r : replies) {
                r.reply(reply);
            }
        }

        /** {@link LeanRounds#mean} over the workers in worker order, and the iteration count after the round. */
        private Average average(Contribution[] all) {
            LeanRounds.Result[] results = new LeanRounds.Result[all.length];
            for (int w = 0; w < all.length; w++) {
                Contribution c = all[w];
                results[w] = c.params() == null ? new LeanRounds.Result() : new LeanRounds.Result(c.params(), c.state(),
                        c.score());
            }
            LeanRounds.Mean m = LeanRounds.mean(results);
            if (m == null) {
                return new Average(null, null, 0, iteration, 0);
            }
            iteration += frequency;
            return new Average(m.params(), m.state(), m.score(), iteration, m.workers());
        }

        private void failWaiting(String why) {
            for (RpcCallContext[] contexts : List.of(waiting, ending)) {
                for (int w = 0; w < workers; w++) {
                    if (contexts[w] != null) {
                        contexts[w].sendFailure(new SparkException(why));
                        contexts[w] = null;
                    }
                }
            }
            got = new Contribution[workers];
            arrived = 0;
            sums = new double[workers][];
            endedCount = 0;
        }

        @Override
        public void onStop() {
            stopped = true;
            failWaiting("the averaging endpoint stopped (the fit ended)");
        }
    }
}
