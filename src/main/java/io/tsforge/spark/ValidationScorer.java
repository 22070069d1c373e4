package io.tsforge.spark;

import io.tsforge.core.ResidualCalibration;
import io.tsforge.core.StatsAccumulator;
import io.tsforge.core.WindowExamples;
import io.tsforge.model.Tensors;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.ByteArrayInputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Scores the windows of one split with a trained network, a partition at a time (the network is restored once per
 * partition from broadcast bytes), and returns what calibration and metrics need: residual accumulators per series
 * and horizon step, and squared/absolute errors of the model and of the repeat-last-value forecast.
 */
public final class ValidationScorer {

    private ValidationScorer() {
    }

    /** Additive error totals over windows and horizon steps (normalized units). */
    public static final class Totals implements Serializable {
        public long values;
        public double sse;
        public double sae;
        public double naiveSse;
        public double naiveSae;
        public final Map<String, StatsAccumulator[]> residuals = new HashMap<>();

        public Totals merge(Totals o) {
            values += o.values;
            sse += o.sse;
            sae += o.sae;
            naiveSse += o.naiveSse;
            naiveSae += o.naiveSae;
            o.residuals.forEach((k, v) -> residuals.merge(k, v, ResidualCalibration::merge));
            return this;
        }

        public double mse() {
            return sse / values;
        }

        public double mae() {
            return sae / values;
        }

        public double naiveMse() {
            return naiveSse / values;
        }

        public double naiveMae() {
            return naiveSae / values;
        }
    }

    public static Totals score(JavaRDD<TrainingData.SegmentWindows> data, Broadcast<byte[]> network, int lookback,
                               int horizon, boolean perStepHead, int batch) {
        return data.mapPartitions(it -> List.of(scorePartition(it, network.value(), lookback, horizon, perStepHead,
                        batch)).iterator())
                .reduce(Totals::merge);
    }

    static Totals scorePartition(Iterator<TrainingData.SegmentWindows> it, byte[] networkBytes, int lookback,
                                 int horizon, boolean perStepHead, int batch) throws java.io.IOException {
        Totals t = new Totals();
        if (!it.hasNext()) {
            return t;
        }
        MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(networkBytes), false);
        List<Tensors.Window> ws = new ArrayList<>(batch);
        List<String> ids = new ArrayList<>(batch);
        while (it.hasNext()) {
            TrainingData.SegmentWindows s = it.next();
            for (int w = 0; w < s.windows(); w++) {
                ws.add(new Tensors.Window(s.values(), s.origins()[w], s.histories()[w]));
                ids.add(s.seriesId());
                if (ws.size() == batch) {
                    flush(net, ws, ids, lookback, horizon, perStepHead, t);
                }
            }
        }
        if (!ws.isEmpty()) {
            flush(net, ws, ids, lookback, horizon, perStepHead, t);
        }
        return t;
    }

    private static void flush(MultiLayerNetwork net, List<Tensors.Window> ws, List<String> ids, int lookback,
                              int horizon, boolean perStepHead, Totals t) {
        DataSet batch = Tensors.minibatch(ws, lookback, horizon, false);
        INDArray forecast = Tensors.forecast(net, Tensors.inputs(ws, lookback, perStepHead), perStepHead);
        float[] f = forecast.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data().asFloat();
        float[] y = batch.getLabels().data().asFloat();
        for (int i = 0; i < ws.size(); i++) {
            Tensors.Window w = ws.get(i);
            float last = WindowExamples.lastValue(w.segment(), w.origin());
            StatsAccumulator[] acc = t.residuals.computeIfAbsent(ids.get(i),
                    k -> ResidualCalibration.newAccumulators(horizon));
            double[] one = new double[1];
            for (int k = 0; k < horizon; k++) {
                double actual = y[i * horizon + k];
                double r = actual - f[i * horizon + k];
                one[0] = r;
                acc[k].add(one);
                t.sse += r * r;
                t.sae += Math.abs(r);
                double n = actual - last;
                t.naiveSse += n * n;
                t.naiveSae += Math.abs(n);
            }
        }
        t.values += (long) ws.size() * horizon;
        ws.clear();
        ids.clear();
    }
}
