package io.tsforge.bench;

import io.tsforge.config.Config;
import io.tsforge.config.TrainConfig;
import io.tsforge.model.NetworkFactory;
import io.tsforge.model.Tensors;
import io.tsforge.spark.EpochLoop;
import io.tsforge.spark.TrainingData;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Training throughput, single-JVM {@code MultiLayerNetwork.fit} against Spark parameter averaging ({@code local[N]}),
 * on identical minibatches so that only the training engine differs. Prints one line per epoch and a RESULT line:
 * seconds per epoch after the first, windows per second, final validation MSE, peak RSS.
 *
 * <p>{@code TrainBench MODE DATA [epochs] [batch] [workers] [impl]} with MODE {@code local | spark | both | pair}
 * ({@code both}: local and spark interleaved in one JVM; {@code pair}: two unaveraged fits at once, see
 * {@link #pair}) and DATA {@code sine} (the reference workload of shared/BENCHMARKS.md: 3,975 windows of 24 steps x 1
 * feature, LSTM 32, Adam 1e-2) or a path to ETTh1.csv (OT only, Informer split, lookback 96, horizon 24, LSTM 64), or
 * {@code large} (the sine workload with 2 x 128 units and lookback 168, as torch_reference.py's and LstmBench's), and
 * impl the {@code model.lstmImplementation} ({@code dl4j} by default, or {@code fused}). Besides wall time it prints
 * the process CPU seconds per epoch (all threads): on a shared machine CPU seconds per window is the fairer overhead
 * measure.
 * {@code -Dbench.averagingFrequency=N} (default 5) sets {@code train.averagingFrequency}; {@code -Dbench.set=k=v,k=v}
 * sets further config keys (prefetch, storage level, train.averagingRounds, ...); {@code -Dbench.kryo=false} runs
 * Spark with its Java serializer instead of Kryo; {@code -Dbench.shuffleSeed=N} (default 1) seeds fit's minibatch
 * order; {@code -Dbench.dl4jSplits=true} trains Spark with DL4J's own master and rounds, and {@code
 * -Dbench.exportDir=DIR} with it uses DL4J's Export approach instead of Direct.
 */
public final class TrainBench {

    private TrainBench() {
    }

    record Workload(String name, TrainConfig cfg, List<DataSet> train, List<DataSet> validation) {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String data = args[1];
        int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int workers = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        String impl = args.length > 5 ? args[5] : "dl4j";
        Map<String, String> extra = Map.of("model.lstmImplementation", impl);
        Workload w = switch (data) {
            case "sine" -> sine(batch, 24, 32, 1, extra);
            case "large" -> sine(batch, 168, 128, 2, extra);
            default -> ett(Path.of(data), batch, extra);
        };
        long windows = w.train().stream().mapToLong(DataSet::numExamples).sum();
        List<Engine> engines = new ArrayList<>();
        SparkSession spark = null;
        if (mode.equals("local") || mode.equals("both")) {
            engines.add(local(w));
        }
        if (mode.equals("pair")) {
            engines.add(pair(w));
        }
        if (mode.equals("spark") || mode.equals("both")) {
            spark = SparkSession.builder().config(PrepareBench.sparkConf("local[" + workers + "]"))
                    .appName("train-bench").config("spark.ui.enabled", "false").getOrCreate();
            spark.sparkContext().setLogLevel("ERROR");
            engines.add(spark(w, spark, workers, epochs));
        }
        // "both": one JVM, the engines alternate epoch by epoch (A B, B A, ...), so that both see the same load and
        // the same JIT state; their ratio is the interleaved measure.
        for (int e = 0; e < epochs; e++) {
            for (int k = 0; k < engines.size(); k++) {
                Engine g = engines.get(e % 2 == 0 ? k : engines.size() - 1 - k);
                Map<String, Long> th0 = threadTicks();
                long c0 = LstmBench.cpuNanos();
                long t0 = System.nanoTime();
                g.epoch(e);
                g.seconds.add((System.nanoTime() - t0) / 1e9);
                g.cpu.add((LstmBench.cpuNanos() - c0) / 1e9);
                if (e >= Integer.getInteger("bench.warmupEpochs", 1)) {
                    threadTicks().forEach((name, v) -> g.threadTicks.merge(name, v - th0.getOrDefault(name, 0L), Long::sum));
                }
                g.valMse.add(report(g.name, e, g.seconds, g.cpu, windows, g.net, w));
                System.out.println("epoch " + (e + 1) + " " + g.name + " CPU: " + g.breakdown.get(e));
            }
        }
        // epochs left out as warm-up (JIT compilation of the training path): 1 by default
        int warmup = Math.min(Integer.getInteger("bench.warmupEpochs", 1), epochs - 1);
        for (Engine g : engines) {
            double steady = g.seconds.subList(warmup, epochs).stream().mapToDouble(Double::doubleValue).average()
                    .orElse(Double.NaN);
            double steadyCpu = g.cpu.subList(warmup, epochs).stream().mapToDouble(Double::doubleValue).average()
                    .orElse(Double.NaN);
            double fittedPerEpoch = g.fitted == null ? windows : g.fitted.value() / (double) epochs;
            // the final epoch's validation MSE swings by +-15 % from epoch to epoch here: the mean over the timed
            // epochs is the steadier comparison
            double valMean = g.valMse.subList(warmup, epochs).stream().mapToDouble(Double::doubleValue).average()
                    .orElse(Double.NaN);
            // the lowest over all epochs, as train's early stopping keeps the best epoch's network
            int best = 0;
            for (int e = 1; e < epochs; e++) {
                best = g.valMse.get(e) < g.valMse.get(best) ? e : best;
            }
            System.out.printf(Locale.ROOT, "RESULT workload=%s mode=%s impl=%s batch=%d workers=%d windows=%d "
                            + "seconds_per_epoch=%.2f cpu_seconds_per_epoch=%.2f windows_per_s=%.0f "
                            + "windows_per_cpu_s=%.0f val_mse=%.6f val_mse_mean=%.6f val_mse_best=%.6f best_epoch=%d "
                            + "rss_peak_mb=%d omp=%s "
                            + "fitted_per_epoch=%.0f "
                            + "fitted_per_cpu_s=%.0f averaging=%d prefetch=%d storage=%s warmup_epochs=%d "
                            + "interleaved=%b%n",
                    w.name(), g.name, impl, batch, g.fitted == null ? g.threads : workers, windows, steady, steadyCpu,
                    windows / steady, windows / steadyCpu, g.valMse.get(epochs - 1), valMean, g.valMse.get(best),
                    best + 1, PrepareBench.rssPeakMb(),
                    System.getenv("OMP_NUM_THREADS"), fittedPerEpoch, fittedPerEpoch / steadyCpu,
                    w.cfg().dist().averagingFrequency(), w.cfg().dist().prefetch(), w.cfg().dist().storage(), warmup,
                    engines.size() > 1);
        }
        for (Engine g : engines) {
            StringBuilder b = new StringBuilder("THREADS " + g.name + " CPU s per steady epoch by thread (from "
                    + "/proc, 10 ms ticks):");
            int steadyEpochs = epochs - warmup;
            g.threadTicks.entrySet().stream().filter(x -> x.getValue() > 0)
                    .sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(12)
                    .forEach(x -> b.append(String.format(Locale.ROOT, " %s=%.2f", x.getKey(),
                            x.getValue() / 100.0 / steadyEpochs)));
            System.out.println(b);
            if (g.fitted != null) {
                // the accumulators and task metrics of a job arrive when it ends: totals, not per epoch
                System.out.printf(Locale.ROOT, "SPARK %s totals over %d epochs: fits %.2f s CPU (first of each round "
                                + "%.2f s), tasks %.2f s CPU%n", g.name, epochs, g.fitNanos.value() / 1e9,
                        g.firstFitNanos.value() / 1e9, g.taskCpuNanos.get() / 1e9);
            }
        }
        if (spark != null) {
            spark.stop();
        }
    }

    /** CPU ticks (user + system) of this process's threads, summed by thread name with digits dropped (Linux). */
    static Map<String, Long> threadTicks() {
        Map<String, Long> m = new HashMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return m;
        }
        for (java.io.File t : tasks) {
            try {
                String stat = Files.readString(t.toPath().resolve("stat"));
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String name = digitsToHash(stat.substring(open + 1, close));
                String[] f = stat.substring(close + 2).split(" ");
                m.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            } catch (java.io.IOException | RuntimeException ex) {
                // the thread ended meanwhile
            }
        }
        return m;
    }

    /**
     * A thread name with each run of digits replaced by {@code #}, trimmed ("Executor task launch worker-12" ->
     * "Executor task launch worker-#"). A plain loop rather than a regex: the bench reads every thread's name twice per
     * epoch, and the JIT compiles this code while the engines are measured, so it lands in their CPU (more for the
     * engine with more threads); a loop is far less code to compile than the regex engine's.
     */
    static String digitsToHash(String name) {
        StringBuilder b = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean digit = c >= '0' && c <= '9';
            if (digit) {
                char before = i == 0 ? ' ' : name.charAt(i - 1);
                if (before < '0' || before > '9') {
                    b.append('#');
                }
            } else {
                b.append(c);
            }
        }
        return b.toString().trim();
    }

    /** One training engine: its network, one epoch at a time, and its per-epoch figures. */
    abstract static class Engine {
        final String name;
        final MultiLayerNetwork net;
        final List<Double> seconds = new ArrayList<>();
        final List<Double> cpu = new ArrayList<>();
        final List<Double> valMse = new ArrayList<>();
        org.apache.spark.util.LongAccumulator fitted;
        org.apache.spark.util.LongAccumulator fitNanos;
        org.apache.spark.util.LongAccumulator firstFitNanos;
        final java.util.concurrent.atomic.AtomicLong taskCpuNanos = new java.util.concurrent.atomic.AtomicLong();
        final List<String> breakdown = new ArrayList<>();
        final Map<String, Long> threadTicks = new HashMap<>();
        /** Threads fitting at once (Spark's engine: its workers). */
        int threads = 1;

        Engine(String name, MultiLayerNetwork net) {
            this.name = name;
            this.net = net;
        }

        abstract void epoch(int e);
    }

    static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * The generator of fit's minibatch order: {@code -Dbench.shuffleSeed} (1 by default; {@code
     * -Dbench.set=train.seed=N} sets the initial weights' seed and Spark's deal), for runs over several seeds.
     */
    static Random shuffles() {
        return new Random(Long.getLong("bench.shuffleSeed", 1L));
    }

    /** Single-JVM {@code fit} over the minibatches, shuffled every epoch. */
    static Engine local(Workload w) {
        List<DataSet> order = new ArrayList<>(w.train());
        Random rnd = shuffles();
        return new Engine("local", NetworkFactory.network(w.cfg())) {
            @Override
            void epoch(int e) {
                Collections.shuffle(order, rnd);
                long m0 = THREADS.getCurrentThreadCpuTime();
                for (DataSet d : order) {
                    net.fit(d);
                }
                net.incrementEpochCount();
                breakdown.add(String.format(Locale.ROOT, "fits %.2f s", (THREADS.getCurrentThreadCpuTime() - m0)
                        / 1e9));
            }
        };
    }

    /**
     * Two independent {@code fit}s at once on two threads, each over every other minibatch of the epoch's shuffled
     * order, and never averaged: what any two-worker data-parallel training pays on this machine for running two
     * threads at once (shared caches and memory bandwidth, the host's clock) and nothing else, i.e. the floor of
     * Spark's CPU per sample on {@code local[2]}. The validation MSE printed is the first network's, which sees half
     * the data.
     */
    static Engine pair(Workload w) {
        List<DataSet> order = new ArrayList<>(w.train());
        Random rnd = shuffles();
        MultiLayerNetwork second = NetworkFactory.network(w.cfg());
        java.util.concurrent.atomic.AtomicInteger named = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pair-fit-" + named.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Engine g = new Engine("pair", NetworkFactory.network(w.cfg())) {
            @Override
            void epoch(int e) {
                Collections.shuffle(order, rnd);
                MultiLayerNetwork[] nets = {net, second};
                List<java.util.concurrent.Future<Long>> fits = new ArrayList<>();
                for (int k = 0; k < 2; k++) {
                    int first = k;
                    fits.add(pool.submit(() -> {
                        long m0 = THREADS.getCurrentThreadCpuTime();
                        for (int i = first; i < order.size(); i += 2) {
                            nets[first].fit(order.get(i));
                        }
                        nets[first].incrementEpochCount();
                        return THREADS.getCurrentThreadCpuTime() - m0;
                    }));
                }
                double cpu = 0;
                for (var f : fits) {
                    try {
                        cpu += f.get() / 1e9;
                    } catch (InterruptedException | java.util.concurrent.ExecutionException x) {
                        throw new IllegalStateException("pair fit failed: " + x, x);
                    }
                }
                breakdown.add(String.format(Locale.ROOT, "fits %.2f s (both threads)", cpu));
            }
        };
        g.threads = 2;
        return g;
    }

    /**
     * The train job's parameter averaging over the same minibatches, dealt to the workers as the job deals them and
     * run as the job runs its epochs ({@link EpochLoop}: with rpc averaging one Spark job for all of them), on a thread
     * of its own that stops between epochs: an epoch of this engine runs from its release to its end, so that the
     * other engine's epochs and the reporting between epochs happen while the Spark tasks wait.
     */
    static Engine spark(Workload w, SparkSession spark, int workers, int epochs) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<DataSet> rdd = TrainingData.balance(jsc.parallelize(w.train(), workers), workers)
                .persist(StorageLevel.fromString(w.cfg().dist().storage().name()));
        long[] sizes = TrainingData.partitionSizes(rdd);
        boolean dl4jSplits = Boolean.getBoolean("bench.dl4jSplits");
        // -Dbench.exportDir=DIR with -Dbench.dl4jSplits=true: DL4J's Export approach, with one master for all the
        // epochs (a master exports an RDD once, under its own random id: a master per epoch would export every epoch)
        String exportDir = dl4jSplits ? System.getProperty("bench.exportDir") : null;
        java.util.concurrent.SynchronousQueue<Object> ended = new java.util.concurrent.SynchronousQueue<>();
        java.util.concurrent.SynchronousQueue<Boolean> release = new java.util.concurrent.SynchronousQueue<>();
        Engine g = new Engine("spark", NetworkFactory.network(w.cfg())) {
            Thread runner;

            @Override
            void epoch(int e) {
                long m0 = THREADS.getCurrentThreadCpuTime();
                try {
                    if (runner == null) {
                        runner = new Thread(() -> {
                            try {
                                EpochLoop.run(jsc, net, k -> master(k), rdd, null, false, w.cfg().dist().batchSize(),
                                        0, epochs, end -> {
                                            ended.put(end);
                                            return end.epoch() + 1 < epochs && release.take();
                                        });
                            } catch (Throwable t) {
                                try {
                                    ended.put(t);
                                } catch (InterruptedException ignored) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                        }, "bench-epochs");
                        runner.setDaemon(true);
                        runner.start();
                    } else {
                        release.put(true);
                    }
                    Object r = ended.take();
                    if (r instanceof Throwable t) {
                        throw new IllegalStateException("Spark training failed: " + t, t);
                    }
                    if (e == epochs - 1) {
                        runner.join();
                    }
                } catch (InterruptedException x) {
                    throw new IllegalStateException(x);
                }
                breakdown.add(String.format(Locale.ROOT, "driver's main thread %.2f s", (THREADS
                        .getCurrentThreadCpuTime() - m0) / 1e9));
            }

            /** The Export approach's one master, kept for every epoch. */
            ParameterAveragingTrainingMaster exporting;

            ParameterAveragingTrainingMaster master(int k) {
                if (exporting != null) {
                    return exporting;
                }
                var m = dl4jSplits ? io.tsforge.jobs.TrainJob.dl4jTrainingMaster(w.cfg(), workers, k, exportDir)
                        : io.tsforge.jobs.TrainJob.trainingMaster(w.cfg(), workers, k, sizes);
                m.addHook(new FittedWindows(fitted, fitNanos, firstFitNanos));
                if (exportDir != null) {
                    exporting = m;
                }
                return m;
            }
        };
        g.fitted = spark.sparkContext().longAccumulator("fitted");
        g.fitNanos = spark.sparkContext().longAccumulator("fitNanos");
        g.firstFitNanos = spark.sparkContext().longAccumulator("firstFitNanos");
        spark.sparkContext().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null) {
                    g.taskCpuNanos.addAndGet(end.taskMetrics().executorCpuTime()
                            + end.taskMetrics().executorDeserializeCpuTime());
                }
            }
        });
        return g;
    }

    /**
     * Counts the windows the Spark workers really fit (DL4J's own splits may leave minibatches of a round unfitted),
     * and the CPU time of those fits on the workers' threads (the first fit of each round apart).
     */
    static final class FittedWindows implements org.deeplearning4j.spark.api.TrainingHook {
        private final org.apache.spark.util.LongAccumulator acc;
        private final org.apache.spark.util.LongAccumulator fitNanos;
        private final org.apache.spark.util.LongAccumulator firstFitNanos;
        private transient long start;
        private transient Object lastModel;

        FittedWindows(org.apache.spark.util.LongAccumulator acc, org.apache.spark.util.LongAccumulator fitNanos,
                      org.apache.spark.util.LongAccumulator firstFitNanos) {
            this.acc = acc;
            this.fitNanos = fitNanos;
            this.firstFitNanos = firstFitNanos;
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet d, org.deeplearning4j.nn.api.Model m) {
            start = THREADS.getCurrentThreadCpuTime();
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet d, org.deeplearning4j.nn.api.Model m) {
            long t = THREADS.getCurrentThreadCpuTime() - start;
            acc.add(d.numExamples());
            if (m != lastModel) {
                firstFitNanos.add(t);
                lastModel = m;
            } else {
                fitNanos.add(t);
            }
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.MultiDataSet d, org.deeplearning4j.nn.api.Model m) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.MultiDataSet d, org.deeplearning4j.nn.api.Model m) {
            acc.add(d.getFeatures(0).size(0));
        }
    }

    /** Prints an epoch's line; returns its validation MSE. */
    static double report(String name, int epoch, List<Double> seconds, List<Double> cpu, long windows,
                         MultiLayerNetwork net, Workload w) {
        double mse = valMse(net, w);
        long jit = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        System.out.printf(Locale.ROOT, "epoch %d %s: %.2f s, CPU %.2f s (%.0f windows/s), validation MSE %.5f, JIT "
                        + "compilation so far %.1f s, classes loaded %d%n", epoch + 1, name, seconds.get(epoch), cpu.get(epoch),
                windows / seconds.get(epoch), mse, jit / 1e3,
                java.lang.management.ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount());
        return mse;
    }

    static double valMse(MultiLayerNetwork net, Workload w) {
        double sse = 0;
        long n = 0;
        for (DataSet d : w.validation()) {
            var out = net.output(d.getFeatures(), false, d.getFeaturesMaskArray(), null);
            var diff = out.sub(d.getLabels());
            sse += diff.mul(diff).sumNumber().doubleValue();
            n += diff.length();
        }
        return sse / n;
    }

    static TrainConfig config(int features, int lookback, int horizon, int units, double lr, int batch) {
        return config(features, lookback, horizon, units, lr, batch, Map.of());
    }

    /** As above, with further config entries (e.g. model.layers) on top. */
    static TrainConfig config(int features, int lookback, int horizon, int units, double lr, int batch,
                              Map<String, String> extra) {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", "bench");
        m.put("input.timeColumn", "t");
        m.put("input.valueColumns", features == 1 ? "v" : "v,c");
        m.put("series.frequency", "1h");
        m.put("output.dir", "bench");
        m.put("window.lookback", Integer.toString(lookback));
        m.put("window.horizon", Integer.toString(horizon));
        m.put("model.units", Integer.toString(units));
        m.put("train.learningRate", Double.toString(lr));
        m.put("train.batchSizePerWorker", Integer.toString(batch));
        m.put("train.averagingFrequency", System.getProperty("bench.averagingFrequency", "5"));
        m.putAll(extra);
        m.putAll(overrides(System.getProperty("bench.set", "")));
        return TrainConfig.from(Config.of(m));
    }

    /** {@code -Dbench.set=k=v,k=v}: further config entries (e.g. train.prefetchBatches=2), applied last. */
    static Map<String, String> overrides(String spec) {
        Map<String, String> m = new HashMap<>();
        for (String kv : spec.split(",")) {
            if (kv.isBlank()) {
                continue;
            }
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bench.set entries must be key=value, found '" + kv + "'");
            }
            m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return m;
    }

    /** BENCHMARKS.md section 3: a sine-like series, windows of 24 steps, one-step-ahead... here horizon 1. */
    static Workload sine(int batch) {
        return sine(batch, 24, 32, 1, Map.of());
    }

    /**
     * The same series and 3,975 training windows (horizon 1, Adam 1e-2) with another lookback and network; the series
     * grows with the lookback so that validation windows (the last 999 origins) never overlap training ones. With
     * lookback 24 this is exactly the section 3 workload.
     */
    static Workload sine(int batch, int lookback, int units, int layers, Map<String, String> extra) {
        Random rnd = new Random(42);
        int n = 5000 + (lookback - 24);
        float[][] seg = new float[1][n];
        for (int t = 0; t < n; t++) {
            seg[0][t] = (float) (Math.sin(2 * Math.PI * t / 50.0) + 0.5 * Math.sin(2 * Math.PI * t / 13.0)
                    + 0.1 * rnd.nextGaussian());
        }
        List<Tensors.Window> train = new ArrayList<>();
        List<Tensors.Window> val = new ArrayList<>();
        for (int o = lookback - 1; o < lookback - 1 + 3975; o++) {
            train.add(new Tensors.Window(seg, o, lookback));
        }
        for (int o = n - 1000; o < n - 1; o++) {
            val.add(new Tensors.Window(seg, o, lookback));
        }
        Collections.shuffle(train, new Random(3));
        Map<String, String> more = new HashMap<>(extra);
        more.putIfAbsent("model.layers", Integer.toString(layers));
        return new Workload(lookback == 24 && units == 32 && layers == 1 ? "sine" : "sine-" + layers + "x" + units
                + "-lookback" + lookback, config(1, lookback, 1, units, 1e-2, batch, more),
                batches(train, batch, lookback, 1), batches(val, 256, lookback, 1));
    }

    /** ETTh1 OT under the Informer split, z-scored with the training rows' statistics. */
    static Workload ett(Path csv, int batch, Map<String, String> extra) throws java.io.IOException {
        List<String> lines = Files.readAllLines(csv);
        float[] ot = new float[14400];
        for (int i = 0; i < ot.length; i++) {
            String[] f = lines.get(i + 1).split(",");
            ot[i] = Float.parseFloat(f[f.length - 1]);
        }
        double mean = 0, m2 = 0;
        for (int i = 0; i < 8640; i++) {
            mean += ot[i];
        }
        mean /= 8640;
        for (int i = 0; i < 8640; i++) {
            m2 += (ot[i] - mean) * (ot[i] - mean);
        }
        double std = Math.sqrt(m2 / 8640);
        float[][] seg = new float[1][ot.length];
        for (int i = 0; i < ot.length; i++) {
            seg[0][i] = (float) ((ot[i] - mean) / std);
        }
        List<Tensors.Window> train = new ArrayList<>();
        List<Tensors.Window> val = new ArrayList<>();
        for (int o = 95; o + 24 < 8640; o++) {
            train.add(new Tensors.Window(seg, o, 96));
        }
        for (int o = 8639; o + 24 < 11520; o++) {
            val.add(new Tensors.Window(seg, o, 96));
        }
        Collections.shuffle(train, new Random(3));
        return new Workload("etth1", config(1, 96, 24, 64, 1e-3, batch, extra), batches(train, batch, 96, 24),
                batches(val, 256, 96, 24));
    }

    static List<DataSet> batches(List<Tensors.Window> ws, int batch, int lookback, int horizon) {
        List<DataSet> out = new ArrayList<>();
        for (int i = 0; i < ws.size(); i += batch) {
            out.add(Tensors.minibatch(ws.subList(i, Math.min(ws.size(), i + batch)), lookback, horizon, false));
        }
        return out;
    }
}
