package io.tsforge.spark;

import org.apache.spark.Partitioner;
import io.tsforge.config.ConfigKeys;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import scala.Tuple2;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * DL4J's parameter averaging ({@link ParameterAveragingTrainingMaster}: the same workers, broadcast, averaging of
 * parameters and updater state), with each epoch's averaging rounds dealt once instead of found by scanning.
 *
 * <p>DL4J's Direct approach splits the training RDD into {@code floor(minibatches / (workers x averagingFrequency))}
 * rounds with {@code balancedRandomSplit}: every round is a filter over the whole RDD, so each round deserializes every
 * minibatch to keep its share (rounds x minibatches deserializations per epoch, after a count job), and a worker whose
 * share of a round exceeds the averaging frequency silently skips the rest (measured: 135 of 3,975 windows per epoch
 * never fitted on the sine bench). Here a seeded deal puts every minibatch in a (round, worker) slot, over the same
 * number of rounds as DL4J ({@link Deal}): the deal seed (the same for all epochs of a fit) fixes each minibatch's
 * worker, and each epoch's seed reorders every worker's own minibatches over its slots, so a worker keeps its
 * minibatches and its share of every round from epoch to epoch, in a new order each epoch (as DL4J's Direct approach
 * without repartitioning roughly does: a worker keeps its partition). By default ({@code train.averagingRounds=rpc},
 * {@link RpcRounds}) the whole epoch is one Spark job of {@code workers} barrier tasks, one partition per worker, that
 * fit round after round and get every round's average from an endpoint on the driver over Spark's RPC; the first
 * epoch shuffles the minibatches to their workers, and the dealt RDD is kept (persisted deserialized in memory, see
 * {@link #releaseKeptDeal}) for the later epochs of the same training RDD (same RDD id, partition sizes, workers,
 * frequency and deal seed), whose tasks order their minibatches themselves: no shuffle after the first epoch. A block
 * that is not in memory is read from the shuffle again (same content). {@code jobs} and {@code dl4j} shuffle every
 * epoch, one partition per (round, worker) slot, round r running on just its {@code workers} partitions, with the
 * same deal. {@code jobs} runs each round as one lean Spark job
 * ({@link LeanRounds}: networks kept in the executors, parameters and updater state sent with the tasks and averaged
 * on the driver), and {@code dl4j} as DL4J's own {@code doIteration} (same parameters, more work per round). Every minibatch is fitted exactly once per epoch;
 * a round gives each worker {@code averagingFrequency} minibatches, or a few more when they do not divide evenly (the
 * remainder is spread over the rounds, +-1 between workers), and the deal depends only on the seeds and the input
 * order, so reruns are identical (and all three modes give the same parameters).
 */
public final class RoundTrainingMaster extends ParameterAveragingTrainingMaster {

    private final int workers;
    private final int frequency;
    private final long seed;
    private final long epochSeed;
    private final long[] partitionSizes;
    private final ConfigKeys.AveragingRounds mode;

    /**
     * @param partitionSizes minibatches in each partition of the RDD that {@code fit} will get (same order), e.g.
     *                       from {@link TrainingData#partitionSizes}
     */
    public RoundTrainingMaster(Builder builder, int workers, int averagingFrequency, long seed,
                               long[] partitionSizes) {
        this(builder, workers, averagingFrequency, seed, seed, partitionSizes, ConfigKeys.AveragingRounds.RPC);
    }

    /**
     * @param mode how the rounds run: {@code RPC} (one barrier Spark job per epoch averaged through the driver's RPC
     *             endpoint, {@link RpcRounds#epoch}; {@code JOBS} when the barrier tasks cannot all run at once),
     *             {@code JOBS} (one Spark job per round on networks kept in the executors,
     *             {@link LeanRounds#round}) or {@code DL4J} (DL4J's {@code doIteration} for every round: a
     *             broadcast, a network built from it in every task, a tree aggregation), the reference the others
     *             are tested against
     */
    public RoundTrainingMaster(Builder builder, int workers, int averagingFrequency, long seed,
                               long[] partitionSizes, ConfigKeys.AveragingRounds mode) {
        this(builder, workers, averagingFrequency, seed, seed, partitionSizes, mode);
    }

    /**
     * @param dealSeed  the seed of the deal of the minibatches to the workers: the same for every epoch of a fit, so
     *                  that a worker keeps its minibatches from epoch to epoch (and, with {@code rpc}, the dealt RDD
     *                  is kept instead of shuffled again)
     * @param epochSeed the seed of this epoch's order of each worker's minibatches over the rounds
     */
    public RoundTrainingMaster(Builder builder, int workers, int averagingFrequency, long dealSeed, long epochSeed,
                               long[] partitionSizes, ConfigKeys.AveragingRounds mode) {
        super(withLargestShare(builder, workers, averagingFrequency, partitionSizes));
        this.mode = mode;
        this.workers = workers;
        this.frequency = averagingFrequency;
        this.seed = dealSeed;
        this.epochSeed = epochSeed;
        this.partitionSizes = partitionSizes.clone();
    }

    /**
     * DL4J's workers stop after {@code averagingFrequency} minibatches per round, and the averaging advances the
     * iteration count (Adam's step) by it: both get the largest share a worker has in a round here (the configured
     * frequency, or one or two more where the minibatches do not divide evenly).
     */
    private static Builder withLargestShare(Builder builder, int workers, int averagingFrequency,
                                            long[] partitionSizes) {
        if (workers < 1 || averagingFrequency < 1) {
            throw new IllegalArgumentException("workers and averagingFrequency must be >= 1, found " + workers + " and "
                    + averagingFrequency);
        }
        long n = java.util.Arrays.stream(partitionSizes).sum();
        int rounds = rounds(n, workers, averagingFrequency);
        long block = (n + rounds - 1) / rounds;
        return builder.averagingFrequency((int) Math.max(averagingFrequency, (block + workers - 1) / workers));
    }

    /** Rounds an epoch of {@code minibatches} takes: as in DL4J, {@code floor(minibatches / (workers x freq))}. */
    public static int rounds(long minibatches, int workers, int averagingFrequency) {
        return (int) Math.max(1, minibatches / ((long) workers * averagingFrequency));
    }

    @Override
    protected void executeTrainingDirect(SparkDl4jMultiLayer network, JavaRDD<DataSet> data) {
        long[] offsets = offsets(data);
        long n = offsets[partitionSizes.length];
        if (n == 0) {
            return;
        }
        Deal deal = new Deal(n, workers, frequency, seed, epochSeed);
        org.apache.spark.SparkContext sc = data.context();
        ConfigKeys.AveragingRounds m = effectiveMode(sc);
        if (m == ConfigKeys.AveragingRounds.DL4J) {
            JavaRDD<DataSet> dealt = keyed(data, offsets, deal, false)
                    .repartitionAndSortWithinPartitions(new SlotPartitioner(deal)).values();
            for (int r = 0; r < deal.rounds; r++) {
                JavaRDD<DataSet> round = JavaRDD.fromRDD(PartitionPruningRDD.create(dealt.rdd(),
                        new InRound(r, workers)), dealt.classTag());
                doIteration(network, round, r + 1, deal.rounds);
            }
            return;
        }
        LeanRounds.Session session = LeanRounds.session(sc, network.getNetwork());
        if (m == ConfigKeys.AveragingRounds.RPC) {
            RpcRounds.epoch(network, dealtByWorker(data, offsets, deal), deal, session, batchSizePerWorker,
                    averagingFrequency, prefetchNumBatches, saveUpdater, trainingHookList);
            return;
        }
        org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> dealt = shuffle(keyed(data, offsets, deal, false),
                new SlotPartitioner(deal));
        for (int r = 0; r < deal.rounds; r++) {
            int[] parts = new int[workers];
            for (int w = 0; w < workers; w++) {
                parts[w] = r * workers + w;
            }
            LeanRounds.round(network, dealt, parts, session, batchSizePerWorker, averagingFrequency,
                    prefetchNumBatches, saveUpdater, trainingHookList);
        }
    }

    /**
     * How this master's rounds run in {@code sc}: the configured mode, except that training stats, listeners and DL4J's
     * repartitioning of every round are only in DL4J's rounds, and {@code rpc} needs all its barrier tasks running at
     * once (else {@code jobs}).
     */
    ConfigKeys.AveragingRounds effectiveMode(org.apache.spark.SparkContext sc) {
        if (collectTrainingStats || statsStorage != null || (listeners != null && !listeners.isEmpty())
                || repartition == org.deeplearning4j.spark.api.Repartition.Always) {
            return ConfigKeys.AveragingRounds.DL4J;
        }
        if (mode == ConfigKeys.AveragingRounds.RPC && (workers > sc.defaultParallelism()
                / Math.max(1, sc.conf().getInt("spark.task.cpus", 1))
                || sc.conf().getBoolean("spark.dynamicAllocation.enabled", false))) {
            // a barrier stage needs all its tasks running at once (Spark would wait for the slots, then fail)
            return ConfigKeys.AveragingRounds.JOBS;
        }
        return mode;
    }

    /** The first minibatch index of each partition of {@code data}, and their total in the last element. */
    private long[] offsets(JavaRDD<DataSet> data) {
        if (data.getNumPartitions() != partitionSizes.length) {
            throw new IllegalArgumentException("the training RDD has " + data.getNumPartitions() + " partitions but "
                    + partitionSizes.length + " partition sizes were given");
        }
        long[] offsets = new long[partitionSizes.length + 1];
        for (int p = 0; p < partitionSizes.length; p++) {
            offsets[p + 1] = offsets[p] + partitionSizes[p];
        }
        return offsets;
    }

    /** The rpc deal of {@code data}: kept from an earlier fit of the same RDD and deal, or shuffled and kept. */
    private org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> dealtByWorker(JavaRDD<DataSet> data, long[] offsets,
                                                                         Deal deal) {
        KeptKey key = new KeptKey(data.context(), data.id(), java.util.Arrays.toString(partitionSizes), workers,
                frequency, seed);
        // the keyed RDD is only built (and its closures cleaned) when the deal is not kept
        return keptDeal(key, () -> shuffle(keyed(data, offsets, deal, true), new WorkerPartitioner(deal)));
    }

    /**
     * Epochs {@code from, from + 1, ...} (at most to {@code to - 1}) of {@link EpochLoop#run} as one rpc job
     * ({@link RpcRounds#epochs}), each scored by the tasks, the driver's network ending every epoch as DL4J's
     * {@code fit} of it would (the epoch's last average, the epoch count advanced). Returns false, having done nothing,
     * when this master's rounds do not run over rpc in this context; the caller then fits epoch by epoch.
     *
     * @param masters every epoch's master (the seeds of their order over the rounds); they must share this one's deal
     */
    boolean fitEpochs(SparkDl4jMultiLayer network, JavaRDD<DataSet> data, JavaRDD<DataSet> validation,
                      boolean trainLoss, int scoreBatch, int from, int to,
                      java.util.function.IntFunction<? extends ParameterAveragingTrainingMaster> masters,
                      EpochLoop.Listener listener) throws Exception {
        long[] offsets = offsets(data);
        long n = offsets[partitionSizes.length];
        if (n == 0 || from >= to || effectiveMode(data.context()) != ConfigKeys.AveragingRounds.RPC) {
            return false;
        }
        Deal deal = new Deal(n, workers, frequency, seed, epochSeed);
        org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> dealt = dealtByWorker(data, offsets, deal);
        org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> val = validation == null ? null
                : shuffle(validation.mapPartitionsWithIndex(new ValidationKeys(), true).mapToPair(t -> t),
                new OrderPartitioner(workers)).persist(org.apache.spark.storage.StorageLevel.MEMORY_ONLY());
        long[] start = {System.nanoTime()};
        RpcRounds.Control control = end -> {
            // as DL4J's fit of an epoch ends
            network.getNetwork().incrementEpochCount();
            boolean go = listener.ended(new EpochLoop.Ended(end.epoch(), network.getScore(), end.trainLoss(),
                    end.validationLoss(), (end.roundsEnded() - start[0]) / 1e9, (end.scored() - start[0]) / 1e9))
                    && end.epoch() + 1 < to;
            Long next = null;
            if (go) {
                ParameterAveragingTrainingMaster m = masters.apply(end.epoch() + 1);
                if (!(m instanceof RoundTrainingMaster r) || r.workers != workers || r.frequency != frequency
                        || r.seed != seed || r.mode != mode || !java.util.Arrays.equals(r.partitionSizes,
                        partitionSizes)) {
                    throw new IllegalArgumentException("epoch " + (end.epoch() + 1) + "'s training master does not "
                            + "share the deal of epoch " + from + "'s");
                }
                next = r.epochSeed;
            }
            start[0] = System.nanoTime();
            return next;
        };
        try {
            RpcRounds.epochs(network, RpcRounds.input(dealt, val), deal,
                    LeanRounds.session(data.context(), network.getNetwork()), batchSizePerWorker, averagingFrequency,
                    prefetchNumBatches, saveUpdater, trainingHookList, trainLoss, scoreBatch, from, control);
        } finally {
            if (val != null) {
                val.unpersist(false);
            }
        }
        return true;
    }

    /**
     * Validation minibatches keyed by a unique order: partition index in the high 32 bits, position in the low, which
     * {@link OrderPartitioner} spreads over the workers round-robin (from a partition-dependent start).
     */
    static final class ValidationKeys implements org.apache.spark.api.java.function.Function2<Integer,
            java.util.Iterator<DataSet>, java.util.Iterator<Tuple2<Long, DataSet>>> {
        @Override
        public java.util.Iterator<Tuple2<Long, DataSet>> call(Integer index, java.util.Iterator<DataSet> it) {
            List<Tuple2<Long, DataSet>> out = new ArrayList<>();
            long i = 0;
            while (it.hasNext()) {
                out.add(new Tuple2<>(((long) index << 32) | i++, it.next()));
            }
            return out.iterator();
        }
    }

    /** One partition per worker for keys of {@link ValidationKeys}. */
    static final class OrderPartitioner extends Partitioner {
        private final int workers;

        OrderPartitioner(int workers) {
            this.workers = workers;
        }

        @Override
        public int numPartitions() {
            return workers;
        }

        @Override
        public int getPartition(Object key) {
            long k = (Long) key;
            return (int) (((k >>> 32) + (k & 0xFFFFFFFFL)) % workers);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OrderPartitioner p && p.workers == workers;
        }

        @Override
        public int hashCode() {
            return Integer.hashCode(workers) * 31 + 7;
        }
    }

    /**
     * The minibatches keyed by their dealt slot ({@code byWorker}: it only fixes the worker; the tasks order their
     * minibatches by the epoch's slots) or by their slot in this epoch, which fixes round and worker.
     */
    private static JavaPairRDD<Long, DataSet> keyed(JavaRDD<DataSet> data, long[] offsets, Deal deal,
                                                    boolean byWorker) {
        return data.mapPartitionsWithIndex((index, it) -> {
                    long first = offsets[index];
                    List<Tuple2<Long, DataSet>> out = new ArrayList<>();
                    long i = first;
                    while (it.hasNext()) {
                        long s = byWorker ? deal.dealt(i++) : deal.slot(i++);
                        out.add(new Tuple2<>(s, it.next()));
                    }
                    return out.iterator();
                }, true)
                .mapToPair(t -> t);
    }

    /**
     * The deal's shuffle. Not sorted by the shuffle (its reader would sort with an ExternalSorter that estimates the
     * size of the DataSets by walking them, measured as a good part of the tasks' time): each task sorts its few
     * minibatches by slot, the order the sorted shuffle gives DL4J's rounds. Written with DealSerializer, not Kryo
     * (see there).
     */
    private static org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> shuffle(JavaPairRDD<Long, DataSet> keyed,
                                                                          Partitioner partitioner) {
        org.apache.spark.rdd.ShuffledRDD<Long, DataSet, DataSet> shuffled = new org.apache.spark.rdd.ShuffledRDD<>(
                keyed.rdd(), partitioner, ClassTag$.MODULE$.apply(Long.class),
                ClassTag$.MODULE$.apply(DataSet.class), ClassTag$.MODULE$.apply(DataSet.class));
        shuffled.setSerializer(new DealSerializer());
        @SuppressWarnings({"unchecked", "rawtypes"})
        org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> dealt = (org.apache.spark.rdd.RDD) shuffled;
        return dealt;
    }

    /** What a kept deal was dealt from: the Spark context, the training RDD (ids are unique in a context) and the deal. */
    record KeptKey(org.apache.spark.SparkContext sc, int rdd, String partitionSizes, int workers, int frequency,
                   long dealSeed) {
    }

    private record Kept(KeptKey key, org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> dealt) {
    }

    /** The rpc deal kept between the epochs of a fit (driver side; one at a time). */
    private static Kept kept;

    /** Deals shuffled for rpc (driver side): for tests and diagnostics. */
    static final java.util.concurrent.atomic.AtomicLong DEALS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * The dealt RDD of {@code key}: the kept one, or a new shuffle (releasing the kept one), persisted deserialized in
     * memory. A block that is not in memory (evicted, lost, never stored) is read from the shuffle again, which gives
     * the same content.
     */
    private static synchronized org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> keptDeal(
            KeptKey key, java.util.function.Supplier<org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>>> deal) {
        if (kept != null && kept.key().equals(key)) {
            return kept.dealt();
        }
        releaseKeptDeal();
        org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> dealt = deal.get()
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_ONLY());
        kept = new Kept(key, dealt);
        DEALS.incrementAndGet();
        return dealt;
    }

    /** The kept deal's RDD, null when none is kept: for tests. */
    static synchronized org.apache.spark.rdd.RDD<Tuple2<Long, DataSet>> keptDealRdd() {
        return kept == null ? null : kept.dealt();
    }

    /**
     * Releases the deal kept for the epochs of an rpc fit (its cached blocks; the shuffle files go when Spark cleans
     * the unreferenced shuffle). Call when the fit's epochs are done; a fit on another RDD or deal also releases it.
     */
    public static synchronized void releaseKeptDeal() {
        if (kept != null) {
            if (!kept.key().sc().isStopped()) {
                kept.dealt().unpersist(false);
            }
            kept = null;
        }
    }

    /**
     * The slots of one epoch. Minibatch i (input order) is dealt to slot {@code dealt(i)}, a permutation of 0..n-1
     * seeded by the deal seed; the slots are cut into {@code rounds} contiguous blocks whose sizes differ by at most
     * one, and a block is dealt round-robin to the workers. The dealt slot fixes the worker; the epoch then moves each
     * worker's minibatches among that worker's own slots by a permutation seeded by the epoch seed
     * ({@link #epochSlot}): with the same deal seed every epoch, a worker keeps its minibatches (and each round's
     * share) from epoch to epoch, in a new order over its rounds every epoch.
     */
    static final class Deal implements Serializable {
        final long n;
        final int workers;
        final int frequency;
        final long seed;
        final long epochSeed;
        final int rounds;
        private transient int[] perm;
        private transient int[] epoch;

        Deal(long n, int workers, int frequency, long seed) {
            this(n, workers, frequency, seed, seed);
        }

        Deal(long n, int workers, int frequency, long seed, long epochSeed) {
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("too many minibatches for one epoch: " + n);
            }
            this.n = n;
            this.workers = workers;
            this.frequency = frequency;
            this.seed = seed;
            this.epochSeed = epochSeed;
            this.rounds = rounds(n, workers, frequency);
        }

        /** The same deal with another epoch's seed (the dealt slots, computed once, are shared). */
        Deal withEpochSeed(long seed) {
            Deal d = new Deal(n, workers, frequency, this.seed, seed);
            d.perm = perm;
            return d;
        }

        /** The dealt slot of minibatch i: a permutation of 0..n-1 seeded by the deal seed. */
        long dealt(long i) {
            if (perm == null) {
                int[] p = new int[(int) n];
                for (int k = 0; k < p.length; k++) {
                    p[k] = k;
                }
                shuffle(p, new Random(seed));
                perm = p;
            }
            return perm[(int) i];
        }

        /**
         * This epoch's slot of the minibatch dealt to slot {@code dealt}: the worker's slots in ascending order are
         * permuted by a generator seeded from the epoch seed and the worker, so the worker stays the same.
         */
        long epochSlot(long dealt) {
            if (epoch == null) {
                int[] count = new int[workers];
                int[] worker = new int[(int) n];
                for (int s = 0; s < n; s++) {
                    worker[s] = partition(s) % workers;
                    count[worker[s]]++;
                }
                int[][] mine = new int[workers][];
                for (int w = 0; w < workers; w++) {
                    mine[w] = new int[count[w]];
                    count[w] = 0;
                }
                for (int s = 0; s < n; s++) {
                    mine[worker[s]][count[worker[s]]++] = s;
                }
                int[] e = new int[(int) n];
                for (int w = 0; w < workers; w++) {
                    int[] to = mine[w].clone();
                    shuffle(to, new Random(mix(epochSeed + 0x9E3779B97F4A7C15L * (w + 1))));
                    for (int k = 0; k < to.length; k++) {
                        e[mine[w][k]] = to[k];
                    }
                }
                epoch = e;
            }
            return epoch[(int) dealt];
        }

        /** The slot of minibatch i in this epoch. */
        long slot(long i) {
            return epochSlot(dealt(i));
        }

        /** Partition of a slot: round * workers + worker. */
        int partition(long slot) {
            long round = slot * rounds / n;
            long start = (round * n + rounds - 1) / rounds;
            int worker = (int) ((slot - start) % workers);
            return (int) (round * workers + worker);
        }

        private static void shuffle(int[] p, Random rnd) {
            for (int k = p.length - 1; k > 0; k--) {
                int j = rnd.nextInt(k + 1);
                int t = p[k];
                p[k] = p[j];
                p[j] = t;
            }
        }

        /** SplitMix64's finalizer: neighbouring seeds give unrelated generators. */
        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }

    static final class SlotPartitioner extends Partitioner {
        private final Deal deal;

        SlotPartitioner(Deal deal) {
            this.deal = deal;
        }

        @Override
        public int numPartitions() {
            return deal.rounds * deal.workers;
        }

        @Override
        public int getPartition(Object key) {
            return deal.partition((Long) key);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SlotPartitioner s && s.deal.n == deal.n && s.deal.workers == deal.workers
                    && s.deal.frequency == deal.frequency && s.deal.seed == deal.seed;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(deal.n, deal.workers, deal.frequency, deal.seed);
        }
    }

    /** One partition per worker, holding its dealt slots of every round (unsorted: the task orders them). */
    static final class WorkerPartitioner extends Partitioner {
        private final Deal deal;

        WorkerPartitioner(Deal deal) {
            this.deal = deal;
        }

        @Override
        public int numPartitions() {
            return deal.workers;
        }

        @Override
        public int getPartition(Object key) {
            return deal.partition((Long) key) % deal.workers;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WorkerPartitioner s && s.deal.n == deal.n && s.deal.workers == deal.workers
                    && s.deal.frequency == deal.frequency && s.deal.seed == deal.seed;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(deal.n, deal.workers, deal.frequency, deal.seed, "worker");
        }
    }

    /** Keeps the partitions of one round. */
    static final class InRound extends AbstractFunction1<Object, Object> implements Serializable {
        private final int round;
        private final int workers;

        InRound(int round, int workers) {
            this.round = round;
            this.workers = workers;
        }

        @Override
        public Object apply(Object partition) {
            return (Integer) partition / workers == round;
        }
    }
}
