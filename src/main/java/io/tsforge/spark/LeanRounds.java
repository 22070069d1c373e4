package io.tsforge.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.deeplearning4j.datasets.iterator.AsyncDataSetIterator;
import org.deeplearning4j.datasets.iterator.IteratorDataSetIterator;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One averaging round of {@link RoundTrainingMaster} as a single Spark job of {@code workers} tasks, with the arithmetic
 * of DL4J's {@code ParameterAveragingTrainingMaster.doIteration} but without its per-round machinery.
 *
 * <p>DL4J's round broadcasts the network (configuration, parameters, updater state), builds a new
 * {@code MultiLayerNetwork} from the broadcast in every task, maps the round's partitions through new RDDs and sums
 * the results with {@code treeAggregate}. Here the round's parameters and updater state travel in the task itself (Spark
 * ships a job's function once per stage), {@code runJob} runs the function on just the round's partitions of the
 * epoch's dealt RDD (no new RDD per round), and each task fits a network taken from a cache in the executor JVM.
 *
 * <p>The cache is an optimisation only: a task sets the cached network's parameters, updater state (Adam's moments)
 * and iteration and epoch counts from the driver's values before it fits, exactly what DL4J's worker starts from, and
 * on a miss (first round in this JVM, another executor, an executor lost and replaced) it builds the network from the
 * configuration JSON the task carries. A network is taken out of the cache while a task uses it, so concurrent tasks
 * never share one, and a task that fails drops its network. The driver then averages parameters and updater state
 * over the workers that had data, sets the score, and advances the iteration count by the averaging frequency, as
 * DL4J's {@code processResults} does.
 */
public final class LeanRounds {

    private LeanRounds() {
    }

    /** Training sessions kept in an executor's cache: the most recently used ones. */
    static final int MAX_SESSIONS = 4;

    /** Networks kept per session in one JVM (one per concurrent task slot, normally). */
    static final int MAX_NETWORKS_PER_SESSION = 16;

    private static final Map<String, ConcurrentLinkedDeque<MultiLayerNetwork>> CACHE =
            new LinkedHashMap<>(8, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, ConcurrentLinkedDeque<MultiLayerNetwork>> e) {
                    return size() > MAX_SESSIONS;
                }
            };

    /** Networks built from the configuration (cache misses) in this JVM: for tests and diagnostics. */
    static final AtomicLong BUILT = new AtomicLong();

    /**
     * A training session: the Spark application and the network's architecture (the fingerprint of its configuration
     * JSON), so the executors' networks are reused from round to round and epoch to epoch; with the configuration
     * JSON (iteration and epoch counts left at zero: they are sent with every round). Two trainings of the same
     * architecture in one application share the cache safely: a task takes a network out while it uses it and sets
     * all of its state.
     */
    record Session(String key, String confJson) implements Serializable {
    }

    static Session session(org.apache.spark.SparkContext sc, MultiLayerNetwork net) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
        conf.setIterationCount(0);
        conf.setEpochCount(0);
        String json = conf.toJson();
        return new Session(sc.applicationId() + ":" + sha256(json), json);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(
                    StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static MultiLayerNetwork take(String key) {
        ConcurrentLinkedDeque<MultiLayerNetwork> q;
        synchronized (CACHE) {
            q = CACHE.get(key);
        }
        return q == null ? null : q.pollFirst();
    }

    static void give(String key, MultiLayerNetwork net) {
        synchronized (CACHE) {
            ConcurrentLinkedDeque<MultiLayerNetwork> q = CACHE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
            if (q.size() < MAX_NETWORKS_PER_SESSION) {
                q.addFirst(net);
            }
        }
    }

    /** Empties this JVM's cache (the next round of every session builds its networks again). */
    static void clear() {
        synchronized (CACHE) {
            CACHE.clear();
        }
    }

    /**
     * What a worker sends back: its parameters, updater state (when saved) and last score; nulls when it had no data.
     * The arrays travel as {@link Flat}s (primitive arrays, which Java serialization writes in bulk).
     */
    static final class Result implements Serializable {
        Flat params;
        Flat updaterState;
        double score;

        Result() {
        }

        Result(Flat params, Flat updaterState, double score) {
            this.params = params;
            this.updaterState = updaterState;
            this.score = score;
        }

        Result(INDArray params, INDArray updaterState, double score) {
            this(Flat.of(params), Flat.of(updaterState), score);
        }
    }

    /**
     * Runs one round on {@code partitions} of {@code rdd} (one task per worker) and averages the results into the
     * driver's network.
     */
    static void round(SparkDl4jMultiLayer network, RDD<scala.Tuple2<Long, DataSet>> rdd, int[] partitions,
                      Session session,
                      int batchSize, int averagingFrequency, int prefetch, boolean saveUpdater,
                      Collection<TrainingHook> hooks) {
        MultiLayerNetwork net = network.getNetwork();
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        Updater updater = net.getUpdater();
        INDArray state = updater == null ? null : updater.getStateViewArray();
        Task task = new Task(session, net.params(), state, conf.getIterationCount(), conf.getEpochCount(), batchSize,
                averagingFrequency, prefetch, saveUpdater, hooks == null ? null : new ArrayList<>(hooks));
        List<Object> parts = new ArrayList<>(partitions.length);
        for (int p : partitions) {
            parts.add(p);
        }
        Result[] results = (Result[]) rdd.sparkContext().runJob(rdd, task,
                JavaConverters.asScalaBufferConverter(parts).asScala(), ClassTag$.MODULE$.apply(Result.class));
        average(network, results, averagingFrequency);
    }

    /** DL4J's {@code processResults}: mean parameters and updater state over the workers that had data. */
    static void average(SparkDl4jMultiLayer network, Result[] results, int averagingFrequency) {
        Mean m = mean(results);
        if (m == null) {
            return;
        }
        MultiLayerNetwork net = network.getNetwork();
        m.params().copyInto(net.params());
        if (m.state() != null) {
            m.state().copyInto(net.getUpdater().getStateViewArray());
        }
        network.setScore(m.score());
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        conf.setIterationCount(conf.getIterationCount() + averagingFrequency);
    }

    /** A round's mean over the {@code workers} that had data: parameters, updater state (or null) and score. */
    record Mean(Flat params, Flat state, double score, int workers) {
    }

    /**
     * The mean of the results that have parameters, as DL4J computes it (ND4J's {@code addi} in the order given, worker
     * order, then {@code divi} by their number, element by element in the arrays' own precision: the same values);
     * null when none has. The updater state is averaged when every such result has one.
     */
    static Mean mean(Result[] results) {
        List<Flat> params = new ArrayList<>(results.length);
        List<Flat> states = new ArrayList<>(results.length);
        double score = 0;
        for (Result r : results) {
            if (r == null || r.params == null) {
                continue;
            }
            params.add(r.params);
            if (r.updaterState != null) {
                states.add(r.updaterState);
            }
            score += r.score;
        }
        if (params.isEmpty()) {
            return null;
        }
        int n = params.size();
        return new Mean(Flat.mean(params), states.size() == n ? Flat.mean(states) : null, score / n, n);
    }

    /**
     * An array as the task and the averaging messages ship it: a primitive array (float for FLOAT arrays, double
     * otherwise), which Java serialization writes in bulk (an INDArray's own serialization reads and writes element by
     * element: measured as a fifth of the tasks' time outside the fits). Dense arrays are copied in and out of the
     * native buffer in bulk; ND4J's {@code toFloatVector} copies element by element.
     */
    static final class Flat implements Serializable {
        private final org.nd4j.linalg.api.buffer.DataType type;
        private final long[] shape;
        private final float[] floats;
        private final double[] doubles;

        private Flat(INDArray a) {
            type = a.dataType();
            shape = a.shape();
            if (a.length() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("array too long to ship: " + a.length());
            }
            INDArray d = type == org.nd4j.linalg.api.buffer.DataType.FLOAT
                    || type == org.nd4j.linalg.api.buffer.DataType.DOUBLE ? a
                    : a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
            java.nio.ByteBuffer nio = nio(d);
            if (nio == null && a.length() > 0) {
                // a view that is not a prefix of its buffer in c order: a dense copy of it
                d = d.dup('c');
                nio = nio(d);
            }
            if (a.length() == 0) {
                floats = type == org.nd4j.linalg.api.buffer.DataType.FLOAT ? new float[0] : null;
                doubles = floats == null ? new double[0] : null;
            } else if (type == org.nd4j.linalg.api.buffer.DataType.FLOAT) {
                floats = new float[(int) a.length()];
                nio.asFloatBuffer().get(floats);
                doubles = null;
            } else {
                floats = null;
                doubles = new double[(int) a.length()];
                nio.asDoubleBuffer().get(doubles);
            }
        }

        static Flat of(INDArray a) {
            return a == null ? null : new Flat(a);
        }

        private Flat(org.nd4j.linalg.api.buffer.DataType type, long[] shape, float[] floats, double[] doubles) {
            this.type = type;
            this.shape = shape;
            this.floats = floats;
            this.doubles = doubles;
        }

        /**
         * The native buffer of a FLOAT or DOUBLE array whose values are the first {@code length()} of its buffer in c
         * order (a dense array, or a view such as a reshape of one or its first row), in native byte order; null for
         * any other array. Views count: a network built on given parameters ({@code init(params, false)}) keeps them,
         * and ND4J's {@code reshape} of a dense array is a view.
         */
        private static java.nio.ByteBuffer nio(INDArray a) {
            if ((a.dataType() != org.nd4j.linalg.api.buffer.DataType.FLOAT
                    && a.dataType() != org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                    || a.length() == 0 || a.offset() != 0 || a.data().offset() != 0
                    || a.length() > a.data().length()) {
                return null;
            }
            long[] sh = a.shape();
            long[] st = a.stride();
            long expected = 1;
            for (int d = sh.length - 1; d >= 0; d--) {
                if (sh[d] > 1 && st[d] != expected) {
                    return null;
                }
                expected *= sh[d];
            }
            return a.data().asNio().order(java.nio.ByteOrder.nativeOrder());
        }

        /**
         * Copies the values, in c order, into {@code target}, an array of the same length (its shape, order and data
         * type are kept).
         */
        void copyInto(INDArray target) {
            int n = floats != null ? floats.length : doubles.length;
            if (target.length() != n) {
                throw new IllegalArgumentException("cannot copy " + n + " values into an array of " + target.length());
            }
            java.nio.ByteBuffer nio = nio(target);
            if (nio != null && floats != null && target.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT) {
                nio.asFloatBuffer().put(floats);
            } else if (nio != null && doubles != null
                    && target.dataType() == org.nd4j.linalg.api.buffer.DataType.DOUBLE) {
                nio.asDoubleBuffer().put(doubles);
            } else {
                target.assign(array().reshape('c', target.shape()).castTo(target.dataType()));
            }
        }

        /**
         * The element-wise mean of arrays of one type and length: summed in the order given, then divided by their
         * number, in the arrays' precision (what ND4J's {@code addi} and {@code divi} compute).
         */
        static Flat mean(List<Flat> all) {
            Flat first = all.get(0);
            int k = all.size();
            if (first.floats != null) {
                float[] sum = first.floats.clone();
                for (int w = 1; w < k; w++) {
                    float[] v = first.same(all.get(w)).floats;
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += v[i];
                    }
                }
                for (int i = 0; i < sum.length; i++) {
                    sum[i] /= k;
                }
                return new Flat(first.type, first.shape, sum, null);
            }
            double[] sum = first.doubles.clone();
            for (int w = 1; w < k; w++) {
                double[] v = first.same(all.get(w)).doubles;
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += v[i];
                }
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] /= k;
            }
            return new Flat(first.type, first.shape, null, sum);
        }

        private Flat same(Flat o) {
            if (o.type != type || !java.util.Arrays.equals(o.shape, shape)) {
                throw new IllegalArgumentException("cannot average a " + o.type + " " + java.util.Arrays.toString(
                        o.shape) + " array with a " + type + " " + java.util.Arrays.toString(shape) + " one");
            }
            return o;
        }

        /**
         * The array as a message of JDK types only ({@code [type name, shape, float[] or double[]]}), which any class
         * loader reads back (Spark's RPC deserializes with its own, which on an executor may not see the application's
         * jar); null for null.
         */
        static Object[] message(Flat f) {
            return f == null ? null : new Object[]{f.type.name(), f.shape, f.floats != null ? f.floats : f.doubles};
        }

        /** Reads what {@link #message} made. */
        static Flat fromMessage(Object m) {
            if (m == null) {
                return null;
            }
            Object[] a = (Object[]) m;
            org.nd4j.linalg.api.buffer.DataType type = org.nd4j.linalg.api.buffer.DataType.valueOf((String) a[0]);
            return a[2] instanceof float[] f ? new Flat(type, (long[]) a[1], f, null)
                    : new Flat(type, (long[]) a[1], null, (double[]) a[2]);
        }

        /**
         * A new dense array (not a view) with the values, filled in one bulk copy: ND4J's {@code createFromArray}
         * sets a float[] element by element, and the {@code reshape} it needs gives a view, which a network built on
         * it ({@link Task#prepare}) keeps as its parameters.
         */
        INDArray array() {
            boolean f = floats != null;
            int n = f ? floats.length : doubles.length;
            if (n > 0) {
                INDArray a = Nd4j.createUninitialized(f ? org.nd4j.linalg.api.buffer.DataType.FLOAT
                        : org.nd4j.linalg.api.buffer.DataType.DOUBLE, shape, 'c');
                java.nio.ByteBuffer nio = a.length() == n && !a.isView() ? nio(a) : null;
                if (nio != null) {
                    if (f) {
                        nio.asFloatBuffer().put(floats);
                    } else {
                        nio.asDoubleBuffer().put(doubles);
                    }
                    return f || type == org.nd4j.linalg.api.buffer.DataType.DOUBLE ? a : a.castTo(type);
                }
            }
            INDArray a = f ? Nd4j.createFromArray(floats) : Nd4j.createFromArray(doubles).castTo(type);
            return a.reshape('c', shape);
        }
    }

    /** A worker's part of a round: DL4J's {@code ExecuteWorkerFlatMap} and {@code ParameterAveragingTrainingWorker}. */
    static final class Task extends AbstractFunction2<TaskContext, scala.collection.Iterator<scala.Tuple2<Long,
            DataSet>>, Result> implements Serializable {
        final Session session;
        final Flat params;
        final Flat updaterState;
        final int iteration;
        final int epoch;
        final int batchSize;
        final int maxBatches;
        final int prefetch;
        final boolean saveUpdater;
        final List<TrainingHook> hooks;

        Task(Session session, INDArray params, INDArray updaterState, int iteration, int epoch, int batchSize,
             int maxBatches, int prefetch, boolean saveUpdater, List<TrainingHook> hooks) {
            this.session = session;
            this.params = Flat.of(params);
            this.updaterState = Flat.of(updaterState);
            this.iteration = iteration;
            this.epoch = epoch;
            this.batchSize = batchSize;
            this.maxBatches = maxBatches;
            this.prefetch = prefetch;
            this.saveUpdater = saveUpdater;
            this.hooks = hooks;
        }

        @Override
        public Result apply(TaskContext context, scala.collection.Iterator<scala.Tuple2<Long, DataSet>> data) {
            List<scala.Tuple2<Long, DataSet>> slotted = new ArrayList<>();
            JavaConverters.asJavaIteratorConverter(data).asJava().forEachRemaining(slotted::add);
            if (slotted.isEmpty()) {
                return new Result();
            }
            // slot order: the order of DL4J's rounds over the sorted shuffle
            slotted.sort(java.util.Comparator.comparingLong(scala.Tuple2::_1));
            List<DataSet> mine = new ArrayList<>(slotted.size());
            for (scala.Tuple2<Long, DataSet> t : slotted) {
                mine.add(t._2());
            }
            Iterator<DataSet> it = mine.iterator();
            MultiLayerNetwork net = null;
            boolean healthy = false;
            try {
                net = prepare();
                fit(net, it);
                INDArray state = saveUpdater && net.getUpdater() != null ? net.getUpdater().getStateViewArray()
                        : null;
                Result r = new Result(net.params(), state, net.score());
                healthy = true;
                return r;
            } finally {
                if (healthy) {
                    give(session.key(), net);
                }
            }
        }

        /** Fits the minibatches as DL4J's worker does: re-batched to the worker's batch size, at most maxBatches. */
        void fit(MultiLayerNetwork net, Iterator<DataSet> it) {
            DataSetIterator batches = new IteratorDataSetIterator(it, batchSize);
            if (prefetch > 0) {
                batches = new AsyncDataSetIterator(batches, prefetch);
            }
            try {
                int count = 0;
                while (batches.hasNext() && count++ < maxBatches) {
                    DataSet next = batches.next();
                    if (hooks != null) {
                        for (TrainingHook h : hooks) {
                            h.preUpdate(next, net);
                        }
                    }
                    net.fit(next);
                    if (hooks != null) {
                        for (TrainingHook h : hooks) {
                            h.postUpdate(next, net);
                        }
                    }
                    Nd4j.getExecutioner().commit();
                }
            } finally {
                if (batches instanceof AsyncDataSetIterator a) {
                    a.shutdown();
                }
            }
        }

        /** A network in this round's starting state: from the cache, or built from the configuration. */
        MultiLayerNetwork prepare() {
            MultiLayerNetwork net = take(session.key());
            INDArray p = params.array();
            INDArray u = updaterState == null ? null : updaterState.array();
            if (net == null) {
                net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(session.confJson()));
                net.init(p, false);
                if (u != null) {
                    net.setUpdater(new MultiLayerUpdater(net, u));
                }
                BUILT.incrementAndGet();
            } else {
                net.setParams(p);
                if (u != null) {
                    net.getUpdater().setStateViewArray(net, u, false);
                }
            }
            net.getLayerWiseConfigurations().setIterationCount(iteration);
            net.getLayerWiseConfigurations().setEpochCount(epoch);
            Nd4j.getExecutioner().commit();
            return net;
        }
    }
}
