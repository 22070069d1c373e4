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
 * ({@code model.lstmImplementation} dl4j / fused), single-JVM {@code MultiLayerNetwork.fit}, same data, same
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

    private LstmBench() {
    }

    public static void main(String[] args) {
        String workload = args.length > 0 ? args[0] : "sine";
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int maxBatches = args.length > 3 ? Integer.parseInt(args[3]) : Integer.MAX_VALUE;
        if (epochs < 2) {
            throw new IllegalArgumentException("epochs must be >= 2 (the first one is warm-up), found " + epochs);
        }
        TrainBench.Workload dl4j = workload(workload, batch, "dl4j");
        TrainBench.Workload fused = workload(workload, batch, "fused");
        MultiLayerNetwork[] nets = {NetworkFactory.network(dl4j.cfg()), NetworkFactory.network(fused.cfg())};
        String[] names = {"dl4j", "fused"};
        TrainBench.Workload[] ws = {dl4j, fused};
        System.out.printf(Locale.ROOT, "workload=%s params dl4j=%d fused=%d batches=%d omp=%s%n", workload,
                nets[0].numParams(), nets[1].numParams(), dl4j.train().size(), System.getenv("OMP_NUM_THREADS"));
        double[][] seconds = new double[2][epochs];
        double[] lastLoss = new double[2];
        List<DataSet> order = new ArrayList<>(dl4j.train());
        Random rnd = new Random(1);
        for (int e = 0; e < epochs; e++) {
            Collections.shuffle(order, rnd);
            for (int k = 0; k < 2; k++) {
                int which = (e % 2 == 0) ? k : 1 - k;          // alternate who goes first
                MultiLayerNetwork net = nets[which];
                double loss = 0;
                long t0 = System.nanoTime();
                List<DataSet> epochData = order.subList(0, Math.min(maxBatches, order.size()));
                for (DataSet d : epochData) {
                    net.fit(d);
                    loss += net.score();
                }
                net.incrementEpochCount();
                seconds[which][e] = (System.nanoTime() - t0) / 1e9;
                lastLoss[which] = loss / Math.min(maxBatches, order.size());
                System.out.printf(Locale.ROOT, "epoch %d %-5s %.2f s, mean training loss %.5f, validation MSE %.5f%n",
                        e + 1, names[which], seconds[which][e], lastLoss[which], TrainBench.valMse(net, ws[which]));
            }
        }
        double[] steady = new double[2];
        for (int k = 0; k < 2; k++) {
            double s = 0;
            for (int e = 1; e < epochs; e++) {
                s += seconds[k][e];
            }
            steady[k] = s / (epochs - 1);
            int perEpoch = Math.min(maxBatches, order.size());
            System.out.printf(Locale.ROOT, "RESULT workload=%s impl=%s batch=%d batches_per_epoch=%d "
                            + "seconds_per_epoch=%.2f ms_per_batch=%.1f train_loss=%.5f val_mse=%.6f omp=%s%n",
                    workload, names[k], batch, perEpoch, steady[k], 1000 * steady[k] / perEpoch, lastLoss[k],
                    TrainBench.valMse(nets[k], ws[k]), System.getenv("OMP_NUM_THREADS"));
        }
        System.out.printf(Locale.ROOT, "RATIO workload=%s dl4j/fused=%.2f omp=%s%n", workload, steady[0] / steady[1],
                System.getenv("OMP_NUM_THREADS"));
    }

    static TrainBench.Workload workload(String name, int batch, String impl) {
        Map<String, String> extra = Map.of("model.lstmImplementation", impl);
        return switch (name) {
            case "sine" -> TrainBench.sine(batch, 24, 32, 1, extra);
            case "large" -> TrainBench.sine(batch, 168, 128, 2, extra);
            default -> throw new IllegalArgumentException("workload must be sine or large, found " + name);
        };
    }
}
