package io.tsforge.bench;

import io.tsforge.config.Config;
import io.tsforge.config.TrainConfig;
import io.tsforge.model.NetworkFactory;
import io.tsforge.model.Tensors;
import io.tsforge.spark.TrainingData;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
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
 * <p>{@code TrainBench MODE DATA [epochs] [batch] [workers] [impl]} with MODE {@code local | spark} and DATA {@code sine}
 * (the reference workload of shared/BENCHMARKS.md: 3,975 windows of 24 steps x 1 feature, LSTM 32, Adam 1e-2) or a
 * path to ETTh1.csv (OT only, Informer split, lookback 96, horizon 24, LSTM 64), or {@code large} (the sine workload
 * with 2 x 128 units and lookback 168, as torch_reference.py's and LstmBench's), and impl the
 * {@code model.lstmImplementation} ({@code dl4j} by default, or {@code fused}). Besides wall time it prints the process
 * CPU seconds per epoch (all threads): on a shared machine CPU seconds per window is the fairer overhead measure.
 * {@code -Dbench.averagingFrequency=N} (default 5) sets {@code train.averagingFrequency}.
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
        MultiLayerNetwork net = NetworkFactory.network(w.cfg());
        long windows = w.train().stream().mapToLong(DataSet::numExamples).sum();
        List<Double> seconds = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        if (mode.equals("local")) {
            List<DataSet> order = new ArrayList<>(w.train());
            Random rnd = new Random(1);
            for (int e = 0; e < epochs; e++) {
                Collections.shuffle(order, rnd);
                long c0 = LstmBench.cpuNanos();
                long t0 = System.nanoTime();
                for (DataSet d : order) {
                    net.fit(d);
                }
                net.incrementEpochCount();
                seconds.add((System.nanoTime() - t0) / 1e9);
                cpu.add((LstmBench.cpuNanos() - c0) / 1e9);
                report(e, seconds, windows, net, w);
            }
        } else {
            SparkSession spark = SparkSession.builder().master("local[" + workers + "]").appName("train-bench")
                    .config("spark.ui.enabled", "false")
                    .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                    .config("spark.kryo.registrator", "io.tsforge.spark.KryoRegistrator").getOrCreate();
            spark.sparkContext().setLogLevel("ERROR");
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            JavaRDD<DataSet> rdd = TrainingData.balance(jsc.parallelize(w.train(), workers), workers)
                    .persist(StorageLevel.MEMORY_ONLY_SER());
            rdd.count();
            for (int e = 0; e < epochs; e++) {
                long c0 = LstmBench.cpuNanos();
                long t0 = System.nanoTime();
                new SparkDl4jMultiLayer(jsc, net, io.tsforge.jobs.TrainJob.trainingMaster(w.cfg(), workers, e))
                        .fit(rdd);
                seconds.add((System.nanoTime() - t0) / 1e9);
                cpu.add((LstmBench.cpuNanos() - c0) / 1e9);
                report(e, seconds, windows, net, w);
            }
            spark.stop();
        }
        double steady = seconds.subList(Math.min(1, seconds.size() - 1), seconds.size()).stream()
                .mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double steadyCpu = cpu.subList(Math.min(1, cpu.size() - 1), cpu.size()).stream()
                .mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "RESULT workload=%s mode=%s impl=%s batch=%d workers=%d windows=%d "
                        + "seconds_per_epoch=%.2f cpu_seconds_per_epoch=%.2f windows_per_s=%.0f "
                        + "windows_per_cpu_s=%.0f val_mse=%.6f rss_peak_mb=%d omp=%s%n",
                w.name(), mode, impl, batch, mode.equals("local") ? 1 : workers, windows, steady, steadyCpu,
                windows / steady, windows / steadyCpu, valMse(net, w), PrepareBench.rssPeakMb(),
                System.getenv("OMP_NUM_THREADS"));
    }

    static void report(int epoch, List<Double> seconds, long windows, MultiLayerNetwork net, Workload w) {
        System.out.printf(Locale.ROOT, "epoch %d: %.2f s (%.0f windows/s), validation MSE %.5f%n", epoch + 1,
                seconds.get(epoch), windows / seconds.get(epoch), valMse(net, w));
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
        return TrainConfig.from(Config.of(m));
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
