package io.tsforge.spark;

import org.apache.spark.SparkEnv;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.rpc.RpcCallContext;
import org.apache.spark.rpc.RpcEndpoint;
import org.apache.spark.rpc.RpcEndpointRef;
import org.apache.spark.rpc.RpcEnv;
import org.apache.spark.rpc.RpcTimeout;
import org.apache.spark.rpc.ThreadSafeRpcEndpoint;
import org.apache.spark.util.RpcUtils;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Function1;
import scala.PartialFunction;
import scala.Tuple2;
import scala.concurrent.Await;
import scala.concurrent.Future;
import scala.concurrent.duration.Duration;
import scala.concurrent.duration.FiniteDuration;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractPartialFunction;
import scala.runtime.BoxedUnit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An epoch's averaging rounds as ONE Spark job ({@code train.averagingRounds=rpc}): {@code workers} barrier tasks
 * (Spark starts them all at once, or fails the stage fast), each running all of its rounds on a network from
 * {@link LeanRounds}' executor cache; after every round a task sends its parameters, updater state and score to an
 * averaging endpoint on the driver over Spark's own RPC environment (no port of ours) and blocks on the reply, which
 * the endpoint sends to all the round's tasks when the last one arrives (as Spark's {@code BarrierCoordinator} does
 * for {@code barrier()}, but without its 1 s polling): the mean of parameters and updater state over the workers that
 * had data, the mean score and the iteration count advanced by the averaging frequency, exactly the arithmetic of
 * {@link LeanRounds#average}. The tasks set it and go on with the next round; the driver's network takes the last
 * average when the job ends. A job per round ({@code jobs}) pays Spark's per-job costs (task serialization,
 * scheduling, per-job JIT) every round; here once per epoch.
 *
 * <p>The endpoint has a fresh name per fit and is stopped when the fit ends, failed or not (pending tasks get a
 * failure). Spark aborts a barrier ResultStage at its first failure (it never retries one): a job that fails so (a lost
 * executor, a failed task) is run again, with a new endpoint, up to as many times as Spark would attempt a task
 * ({@code spark.task.maxFailures}; once in {@code local[N]}), from the driver's network, which only takes an average
 * when a job succeeds, so a retried epoch gives what a clean one gives. Messages also carry the stage attempt: the
 * endpoint fails what an older attempt still waits for and rejects its late messages. A waiting task also checks
 * every 200 ms whether Spark killed it (a barrier stage is killed without interrupting the threads), which costs
 * nothing when replies arrive: the wait ends with the reply.
 */
public final class RpcRounds {

    private RpcRounds() {
    }

    /** Epochs run here (driver side): for tests and diagnostics. */
    static final java.util.concurrent.atomic.AtomicLong EPOCHS = new java.util.concurrent.atomic.AtomicLong();

    /** Epochs run again after their barrier job failed (driver side): for tests and diagnostics. */
    static final java.util.concurrent.atomic.AtomicLong EPOCH_RETRIES = new java.util.concurrent.atomic.AtomicLong();

    /** What Spark's DAGScheduler says when it aborts a barrier result stage instead of retrying it. */
    static final String BARRIER_RESULT_STAGE_FAILED = "Could not recover from a failed barrier ResultStage";

    /**
     * A local property of the driver thread that sets how many times an epoch's job may run (tests; default: as many
     * attempts as Spark gives a task, {@code spark.task.maxFailures}, 1 in {@code local[N]}).
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

    /** The longest a task waits for a round's average (the other workers' fits): a day. */
    static final long MAX_WAIT_SECONDS = TimeUnit.DAYS.toSeconds(1);

    /** A worker's round: its parameters, updater state and score, all null/0 when it had no minibatch. */
    record Contribution(int attempt, int round, int worker, LeanRounds.Flat params, LeanRounds.Flat state,
                        double score) {
        Object[] message() {
            return new Object[]{new int[]{attempt, round, worker}, score, LeanRounds.Flat.message(params),
                    LeanRounds.Flat.message(state)};
        }

        static Contribution of(Object[] m) {
            int[] h = (int[]) m[0];
            return new Contribution(h[0], h[1], h[2], LeanRounds.Flat.fromMessage(m[2]),
                    LeanRounds.Flat.fromMessage(m[3]), (Double) m[1]);
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

    /*
     * Messages are arrays of JDK types only (Flat.message): Spark's RPC deserializes a remote message with the class
     * loader it was created with, which on an executor may not see the application's jar (Spark's own
     * BarrierCoordinator only sends Spark and JDK types). A message within one JVM (local mode) is passed as it is,
     * not serialized: the average is one set of arrays that every worker only reads.
     */

    /**
     * Runs an epoch: {@code byWorker} has one partition per worker holding its minibatches keyed by their dealt slots
     * ({@link RoundTrainingMaster.Deal#dealt}, any order), which may be kept from an earlier epoch of the same deal.
     */
    static void epoch(SparkDl4jMultiLayer network, RDD<Tuple2<Long, DataSet>> byWorker, RoundTrainingMaster.Deal deal,
                      LeanRounds.Session session, int batchSize, int averagingFrequency, int prefetch,
                      boolean saveUpdater, Collection<TrainingHook> hooks) {
        MultiLayerNetwork net = network.getNetwork();
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        Updater updater = net.getUpdater();
        INDArray state = updater == null ? null : updater.getStateViewArray();
        LeanRounds.Task task = new LeanRounds.Task(session, net.params(), state, conf.getIterationCount(),
                conf.getEpochCount(), batchSize, averagingFrequency, prefetch, saveUpdater,
                hooks == null ? null : new ArrayList<>(hooks));
        RpcEnv env = SparkEnv.get().rpcEnv();
        int attempts = attempts(byWorker.context());
        Averager averager = null;
        for (int attempt = 1; averager == null; attempt++) {
            String name = "tsforge-averaging-" + UUID.randomUUID();
            Averager a = new Averager(env, deal.workers, averagingFrequency, conf.getIterationCount());
            RpcEndpointRef ref = env.setupEndpoint(name, a);
            EPOCHS.incrementAndGet();
            try {
                byWorker.barrier().mapPartitions(new EpochTask(task, deal, name), false,
                        ClassTag$.MODULE$.apply(Integer.class)).collect();
                averager = a;
            } catch (Exception e) {
                // a SparkException (checked, thrown through Scala's collect without being declared)
                if (!(e instanceof SparkException) || attempt >= attempts || byWorker.context().isStopped()
                        || !String.valueOf(e.getMessage()).contains(BARRIER_RESULT_STAGE_FAILED)) {
                    throw e;
                }
                // Spark never retries a failed barrier ResultStage (a lost executor, a failed task): the epoch runs
                // again from the driver's network, which only takes the average when a job succeeds
                LOG.warn("averaging epoch failed (attempt {} of {}), running it again: {}", attempt, attempts,
                        e.getMessage());
                EPOCH_RETRIES.incrementAndGet();
            } finally {
                env.stop(ref);
            }
        }
        Average last = averager.last();
        if (last == null || last.params() == null) {
            return;
        }
        last.params().copyInto(net.params());
        if (last.state() != null) {
            last.state().copyInto(net.getUpdater().getStateViewArray());
        }
        network.setScore(last.score());
        conf.setIterationCount(last.iteration());
    }

    /** A worker's epoch: its rounds in slot order, each followed by the endpoint's average. */
    static final class EpochTask extends AbstractFunction1<scala.collection.Iterator<Tuple2<Long, DataSet>>,
            scala.collection.Iterator<Integer>> implements Serializable {
        private final LeanRounds.Task task;
        private final RoundTrainingMaster.Deal deal;
        private final String endpoint;

        EpochTask(LeanRounds.Task task, RoundTrainingMaster.Deal deal, String endpoint) {
            this.task = task;
            this.deal = deal;
            this.endpoint = endpoint;
        }

        @Override
        public scala.collection.Iterator<Integer> apply(scala.collection.Iterator<Tuple2<Long, DataSet>> data) {
            // TaskContext.get() is the BarrierTaskContext; BarrierTaskContext.get() would start its companion's timer
            // thread (not a daemon: the JVM would not exit), which only barrier() and allGather() use
            TaskContext ctx = TaskContext.get();
            int worker = ctx.partitionId();
            int attempt = ctx.stageAttemptNumber();
            List<List<DataSet>> rounds = new ArrayList<>(deal.rounds);
            for (int r = 0; r < deal.rounds; r++) {
                rounds.add(new ArrayList<>());
            }
            List<Tuple2<Long, DataSet>> slotted = new ArrayList<>();
            scala.collection.JavaConverters.asJavaIteratorConverter(data).asJava().forEachRemaining(slotted::add);
            // the epoch's slots of the dealt minibatches, in slot order: the order of DL4J's rounds over the sorted
            // shuffle of the same deal. The partition may be kept from an earlier epoch (RoundTrainingMaster's kept
            // deal): the list is this task's own, the cached minibatches are not changed.
            List<Tuple2<Long, DataSet>> dealt = slotted;
            slotted = new ArrayList<>(dealt.size());
            for (Tuple2<Long, DataSet> t : dealt) {
                slotted.add(new Tuple2<>(deal.epochSlot(t._1()), t._2()));
            }
            dealt = null;
            slotted.sort(Comparator.comparingLong(Tuple2::_1));
            for (Tuple2<Long, DataSet> t : slotted) {
                int p = deal.partition(t._1());
                if (p % deal.workers != worker) {
                    throw new IllegalStateException("slot " + t._1() + " of worker " + p % deal.workers
                            + " in worker " + worker + "'s partition");
                }
                rounds.get(p / deal.workers).add(t._2());
            }
            slotted = null;
            SparkEnv spark = SparkEnv.get();
            RpcEndpointRef ref = RpcUtils.makeDriverRef(endpoint, spark.conf(), spark.rpcEnv());
            RpcTimeout timeout = new RpcTimeout(new FiniteDuration(MAX_WAIT_SECONDS, TimeUnit.SECONDS),
                    "tsforge.averaging");
            MultiLayerNetwork net = null;
            boolean healthy = false;
            try {
                net = task.prepare();
                for (int r = 0; r < deal.rounds; r++) {
                    List<DataSet> mine = rounds.get(r);
                    rounds.set(r, null);
                    Contribution c;
                    if (mine.isEmpty()) {
                        c = new Contribution(attempt, r, worker, null, null, 0);
                    } else {
                        task.fit(net, mine.iterator());
                        INDArray st = task.saveUpdater && net.getUpdater() != null
                                ? net.getUpdater().getStateViewArray() : null;
                        c = new Contribution(attempt, r, worker, LeanRounds.Flat.of(net.params()),
                                LeanRounds.Flat.of(st), net.score());
                    }
                    Average a = Average.of(await(ref.ask(c.message(), timeout,
                            ClassTag$.MODULE$.apply(Object[].class)), ctx));
                    if (a.params() != null) {
                        a.params().copyInto(net.params());
                        if (a.state() != null) {
                            a.state().copyInto(net.getUpdater().getStateViewArray());
                        } else if (task.updaterState != null) {
                            // updater state not averaged (saveUpdater false): every round starts from the driver's
                            task.updaterState.copyInto(net.getUpdater().getStateViewArray());
                        }
                        net.getLayerWiseConfigurations().setIterationCount(a.iteration());
                    }
                }
                healthy = true;
                return scala.collection.Iterator$.MODULE$.single(worker);
            } finally {
                if (healthy) {
                    LeanRounds.give(task.session.key(), net);
                }
            }
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
     * The driver's averaging endpoint. Spark's dispatcher gives a {@link ThreadSafeRpcEndpoint} one message at a time,
     * so the state below needs no locks (only {@link #last} is read by another thread, after the job).
     */
    static final class Averager implements ThreadSafeRpcEndpoint {
        private final RpcEnv env;
        private final int workers;
        private final int frequency;
        private final int startIteration;
        private int attempt = -1;
        private int round;
        private int iteration;
        private Contribution[] got;
        private RpcCallContext[] waiting;
        private int arrived;
        private volatile Average last;
        private volatile boolean stopped;

        Averager(RpcEnv env, int workers, int frequency, int startIteration) {
            RpcEndpoint.$init$(this);
            this.env = env;
            this.workers = workers;
            this.frequency = frequency;
            this.startIteration = startIteration;
            this.iteration = startIteration;
            this.got = new Contribution[workers];
            this.waiting = new RpcCallContext[workers];
        }

        @Override
        public RpcEnv rpcEnv() {
            return env;
        }

        /** The last average of the latest stage attempt (null before the first round that had data). */
        Average last() {
            return last;
        }

        @Override
        public PartialFunction<Object, BoxedUnit> receiveAndReply(RpcCallContext context) {
            return new AbstractPartialFunction<>() {
                @Override
                public boolean isDefinedAt(Object m) {
                    return m instanceof Object[];
                }

                @Override
                public <A1, B1> B1 applyOrElse(A1 m, Function1<A1, B1> otherwise) {
                    if (!(m instanceof Object[] message)) {
                        return otherwise.apply(m);
                    }
                    receive(Contribution.of(message), context);
                    @SuppressWarnings("unchecked")
                    B1 unit = (B1) BoxedUnit.UNIT;
                    return unit;
                }
            };
        }

        void receive(Contribution c, RpcCallContext context) {
            if (stopped) {
                context.sendFailure(new SparkException("the averaging endpoint is stopped"));
                return;
            }
            if (c.attempt() < attempt) {
                context.sendFailure(new SparkException("stale message of stage attempt " + c.attempt()
                        + " (attempt " + attempt + " runs)"));
                return;
            }
            if (c.attempt() > attempt) {
                // a retried stage starts the epoch again from the driver's values
                failWaiting("stage attempt " + c.attempt() + " replaces attempt " + attempt);
                attempt = c.attempt();
                round = 0;
                iteration = startIteration;
                last = null;
            }
            if (c.worker() < 0 || c.worker() >= workers || c.round() != round || got[c.worker()] != null) {
                context.sendFailure(new SparkException("unexpected message: worker " + c.worker() + ", round "
                        + c.round() + " of attempt " + c.attempt() + " (expecting round " + round + ")"));
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
            for (int w = 0; w < workers; w++) {
                if (waiting[w] != null) {
                    waiting[w].sendFailure(new SparkException(why));
                }
            }
            got = new Contribution[workers];
            waiting = new RpcCallContext[workers];
            arrived = 0;
        }

        @Override
        public void onStop() {
            stopped = true;
            failWaiting("the averaging endpoint stopped (the fit ended)");
        }
    }
}
