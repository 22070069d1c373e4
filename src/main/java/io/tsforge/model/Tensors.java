package io.tsforge.model;

import io.tsforge.core.WindowExamples;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * Minibatches from windows: features [n, features, lookback] (NCW), a features mask [n, lookback] only when some
 * window is padded, and labels [n, horizon] (or [n, horizon, lookback] with a per-step mask for the per-step head).
 * Arrays are filled flat and wrapped once, so a minibatch costs a few allocations, not one per value.
 */
public final class Tensors {

    private Tensors() {
    }

    /** One window: a segment's normalized values, its origin step and history length. */
    public record Window(float[][] segment, int origin, int history) {
    }

    public static DataSet minibatch(List<Window> windows, int lookback, int horizon, boolean perStepHead) {
        int n = windows.size();
        int features = windows.get(0).segment().length;
        float[] x = new float[n * features * lookback];
        float[] mask = new float[n * lookback];
        float[] y = new float[n * horizon * (perStepHead ? lookback : 1)];
        float[] xi = new float[features * lookback];
        float[] mi = new float[lookback];
        float[] yi = new float[horizon];
        float[] ys = perStepHead ? new float[horizon * lookback] : null;
        boolean padded = false;
        for (int i = 0; i < n; i++) {
            Window w = windows.get(i);
            WindowExamples.fill(w.segment(), w.origin(), w.history(), lookback, horizon, xi, mi, yi);
            System.arraycopy(xi, 0, x, i * xi.length, xi.length);
            System.arraycopy(mi, 0, mask, i * lookback, lookback);
            padded |= w.history() < lookback;
            if (perStepHead) {
                WindowExamples.stepTargets(w.segment(), w.origin(), w.history(), lookback, horizon, ys);
                System.arraycopy(ys, 0, y, i * ys.length, ys.length);
            } else {
                System.arraycopy(yi, 0, y, i * horizon, horizon);
            }
        }
        INDArray features3 = Nd4j.create(x, new long[]{n, features, lookback}, DataType.FLOAT);
        INDArray labels = perStepHead ? Nd4j.create(y, new long[]{n, horizon, lookback}, DataType.FLOAT)
                : Nd4j.create(y, new long[]{n, horizon}, DataType.FLOAT);
        INDArray fMask = padded || perStepHead ? Nd4j.create(mask, new long[]{n, lookback}, DataType.FLOAT) : null;
        return new DataSet(features3, labels, fMask, perStepHead ? fMask : null);
    }

    /** Inputs only (features and, when needed, a mask) for windows whose targets are not known yet. */
    public static DataSet inputs(List<Window> windows, int lookback, boolean perStepHead) {
        int n = windows.size();
        int features = windows.get(0).segment().length;
        float[] x = new float[n * features * lookback];
        float[] mask = new float[n * lookback];
        float[] xi = new float[features * lookback];
        float[] mi = new float[lookback];
        boolean padded = false;
        for (int i = 0; i < n; i++) {
            Window w = windows.get(i);
            WindowExamples.fillInputs(w.segment(), w.origin(), w.history(), lookback, xi, mi);
            System.arraycopy(xi, 0, x, i * xi.length, xi.length);
            System.arraycopy(mi, 0, mask, i * lookback, lookback);
            padded |= w.history() < lookback;
        }
        INDArray f = Nd4j.create(x, new long[]{n, features, lookback}, DataType.FLOAT);
        INDArray m = padded || perStepHead ? Nd4j.create(mask, new long[]{n, lookback}, DataType.FLOAT) : null;
        return new DataSet(f, null, m, null);
    }

    /** The forecast [n, horizon] of a network for a minibatch: the last real step's output for the per-step head. */
    public static INDArray forecast(org.deeplearning4j.nn.multilayer.MultiLayerNetwork net, DataSet batch,
                                    boolean perStepHead) {
        INDArray out = net.output(batch.getFeatures(), false, batch.getFeaturesMaskArray(), null);
        if (!perStepHead) {
            return out;
        }
        long n = out.size(0);
        INDArray last = Nd4j.create(DataType.FLOAT, n, out.size(1));
        INDArray mask = batch.getFeaturesMaskArray();
        for (int i = 0; i < n; i++) {
            int t = mask == null ? (int) out.size(2) - 1 : mask.getRow(i).sumNumber().intValue() - 1;
            last.putRow(i, out.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                    org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(t)));
        }
        return last;
    }
}
