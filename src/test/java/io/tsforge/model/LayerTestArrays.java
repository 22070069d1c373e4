package io.tsforge.model;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Arrays the hand-written layers' tests share: seeded uniform values and right-padded NCW windows with their mask. */
final class LayerTestArrays {

    private LayerTestArrays() {
    }

    /** Values uniform in [-scale, scale) from rnd, in the given type and shape. */
    static INDArray uniform(Random rnd, DataType dt, double scale, long... shape) {
        INDArray a = Nd4j.create(dt, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, scale * (2 * rnd.nextDouble() - 1));
        }
        return a;
    }

    /** Doubles uniform in [-1, 1). */
    static INDArray uniform(Random rnd, long... shape) {
        return uniform(rnd, DataType.DOUBLE, 1.0, shape);
    }

    /** Mask [mb, t] with the first history[i] steps of row i real; x's padded steps are zeroed (right padding). */
    static INDArray rightPad(INDArray x, int... history) {
        long t = x.size(2);
        INDArray mask = Nd4j.zeros(x.dataType(), x.size(0), t);
        for (int i = 0; i < history.length; i++) {
            if (history[i] > 0) {
                mask.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, history[i])).assign(1);
            }
            if (history[i] < t) {
                x.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.interval(history[i], t)).assign(0);
            }
        }
        return mask;
    }
}
