package io.tsforge.bench;

import io.tsforge.model.NetworkFactory;
import io.tsforge.model.Tensors;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Training time per epoch of DL4J's {@code LSTM} layer against the project's {@code FusedLstmLayer}
 * ({@code model.lstmImplementation} dl4j / fused; "fused-op" = fused on libnd4j's lstmLayer ops), single-JVM
 * {@code MultiLayerNetwork.fit}, same data, same
 * minibatches, same order, same initial weights up to the gate layout. The two networks train in the same JVM,
 * epoch by epoch in alternation (dl4j, fused, then fused, dl4j, ...), so that both see the same machine load; the
 * ratio is what to read when the machine is shared.
 *
 * <p>{@code LstmBench WORKLOAD [epochs] [batch] [maxBatches]}, WORKLOAD {@code sine} (shared/BENCHMARKS.md section
 * 3: 1 x 32 units, 24 steps x 1 feature, horizon 1, Adam 1e-2, 3,975 training windows, the same series as
 * {@link TrainBench}) or {@code large} (2 x 128 units, lookback 168, otherwise the same). {@code maxBatches}
 * (default: all 125) trains each epoch on the first minibatches of the shuffled order only, for a quick measurement
 * on a busy machine; the time per minibatch is printed too. Threads come from {@code OMP_NUM_THREADS}.
 * Prints one line per epoch and implementation, then a RESULT line per implementation (seconds per epoch after the
 * first, final validation MSE, mean training loss of the last epoch) and a RATIO line (dl4j / fused).
 */
public final class LstmBench {

    /** Implementation name for the fused layer on libnd4j's lstmLayer / lstmLayer_bp ops (its previous path). */
    static final String FUSED_OP = "fused-op";

    private LstmBench() {
    }

    public static void main(String[] args) {
        String workload = args.length > 0 ? args[0] : "sine";
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int maxBatches = args.length > 3 ? Integer.parseInt(args[3]) : Integer.MAX_VALUE;
        String[] names = (args.length > 4 ? args[4] : "dl4j,fused").split(",");
        if (epochs < 2) {
            throw new IllegalArgumentException("epochs must be >= 2 (the first one is warm-up), found " + epochs);
        }
        int k = names.length;
        TrainBench.Workload[] ws = new TrainBench.Workload[k];
        MultiLayerNetwork[] nets = new MultiLayerNetwork[k];
        StringBuilder params = new StringBuilder();
        for (int i = 0; i < k; i++) {
            ws[i] = workload(workload, batch, names[i]);
            nets[i] = NetworkFactory.network(ws[i].cfg());
            if (names[i].equals(FUSED_OP)) {
                for (org.deeplearning4j.nn.api.Layer l : nets[i].getLayers()) {
                    if (l instanceof io.tsforge.model.FusedLstmLayer.Impl f) {
                        f.setUseLibnd4jOps(true);
                    }
                }
            }
            params.append(' ').append(names[i]).append('=').append(nets[i].numParams());
        }
        System.out.printf(Locale.ROOT, "workload=%s params%s batches=%d omp=%s%n", workload, params,
                ws[0].train().size(), System.getenv("OMP_NUM_THREADS"));
        double[][] seconds = new double[k][epochs];
        double[][] cpu = new double[k][epochs];
        double[][] mainCpu = new double[k][epochs];
        double[] lastLoss = new double[k];
        List<DataSet> order = new ArrayList<>(ws[0].train());
        int perEpoch = Math.min(maxBatches, order.size());
        Random rnd = new Random(1);
        for (int e = 0; e < epochs; e++) {
            Collections.shuffle(order, rnd);
            List<Integer> turn = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                turn.add((i + e) % k);                        // rotate who goes first, so all see the same load
            }
            for (int which : turn) {
                MultiLayerNetwork net = nets[which];
                double loss = 0;
                long c0 = cpuNanos();
                long m0 = THREADS.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (DataSet d : order.subList(0, perEpoch)) {
                    net.fit(d);
                    loss += net.score();
                }
                net.incrementEpochCount();
                seconds[which][e] = (System.nanoTime() - t0) / 1e9;
                cpu[which][e] = (cpuNanos() - c0) / 1e9;
                mainCpu[which][e] = (THREADS.getCurrentThreadCpuTime() - m0) / 1e9;
                lastLoss[which] = loss / perEpoch;
                System.out.printf(Locale.ROOT, "epoch %d %-5s %.2f s (cpu %.2f s, training thread %.2f s), mean "
                                + "training loss %.5f, validation MSE %.5f%n", e + 1, names[which], seconds[which][e],
                        cpu[which][e], mainCpu[which][e], lastLoss[which], TrainBench.valMse(net, ws[which]));
            }
        }
        double[] steady = new double[k];
        for (int i = 0; i < k; i++) {
            steady[i] = mean(seconds[i], 1, epochs);
            double steadyCpu = mean(cpu[i], 1, epochs);
            System.out.printf(Locale.ROOT, "RESULT workload=%s impl=%s batch=%d batches_per_epoch=%d "
                            + "seconds_per_epoch=%.2f cpu_seconds_per_epoch=%.2f thread_cpu_seconds_per_epoch=%.2f "
                            + "ms_per_batch=%.1f train_loss=%.5f val_mse=%.6f omp=%s%n",
                    workload, names[i], batch, perEpoch, steady[i], steadyCpu, mean(mainCpu[i], 1, epochs),
                    1000 * steady[i] / perEpoch,
                    lastLoss[i], TrainBench.valMse(nets[i], ws[i]), System.getenv("OMP_NUM_THREADS"));
        }
        for (int i = 1; i < k; i++) {
            System.out.printf(Locale.ROOT, "RATIO workload=%s %s/%s=%.2f omp=%s%n", workload, names[0], names[i],
                    steady[0] / steady[i], System.getenv("OMP_NUM_THREADS"));
        }
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory
            .getThreadMXBean();

    /** CPU time of the whole process (all threads, native ones included), less sensitive to a shared machine. */
    static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : 0L;
    }

    static TrainBench.Workload workload(String name, int batch, String impl) {
        Map<String, String> extra = Map.of("model.lstmImplementation", impl.equals(FUSED_OP) ? "fused" : impl);
        return switch (name) {
            case "sine" -> TrainBench.sine(batch, 24, 32, 1, extra);
            case "large" -> TrainBench.sine(batch, 168, 128, 2, extra);
            default -> throw new IllegalArgumentException("workload must be sine or large, found " + name);
        };
    }
}
