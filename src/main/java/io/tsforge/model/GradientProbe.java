package io.tsforge.model;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Gradient diagnostics on a fixed probe minibatch, measured between epochs on a copy of the network so that training
 * is untouched: the L2 norm of the raw loss gradient over all parameters (before any clipping), and how strongly the
 * loss reacts to the input at each time step ({@code mean |dLoss/dx_t|} over examples and features). The second is the
 * vanishing-gradient picture: for a network that cannot carry information far, the input gradient decays by orders of
 * magnitude from the newest step to the oldest.
 */
public final class GradientProbe {

    /** The measurement: parameter-gradient norm and the input gradient per time step, oldest step first. */
    public record Result(double gradientNorm, double[] inputGradientByStep) {

        /** Input gradient at the oldest step over the newest: 1 means the whole lookback counts alike. */
        public double reach() {
            double newest = inputGradientByStep[inputGradientByStep.length - 1];
            return newest == 0 ? 0 : inputGradientByStep[0] / newest;
        }

        /** Input gradient {@code stepsBack} steps before the newest step over the newest (0 = the newest). */
        public double reachAt(int stepsBack) {
            int i = inputGradientByStep.length - 1 - stepsBack;
            if (i < 0) {
                throw new IllegalArgumentException("stepsBack must be < lookback " + inputGradientByStep.length
                        + ", found " + stepsBack);
            }
            double newest = inputGradientByStep[inputGradientByStep.length - 1];
            return newest == 0 ? 0 : inputGradientByStep[i] / newest;
        }
    }

    private GradientProbe() {
    }

    /** Measures {@code net} on {@code probe} (features [n, f, t], full windows); the network is not changed. */
    public static Result measure(MultiLayerNetwork net, DataSet probe) {
        MultiLayerNetwork copy = net.clone();
        Pair<Gradient, INDArray> p = copy.calculateGradients(probe.getFeatures(), probe.getLabels(),
                probe.getFeaturesMaskArray(), probe.getLabelsMaskArray());
        double sq = 0;
        for (INDArray g : p.getFirst().gradientForVariable().values()) {
            double n = g.norm2Number().doubleValue();
            sq += n * n;
        }
        INDArray eps = p.getSecond(); // [n, features, time]
        long steps = eps.size(2);
        double[] byStep = new double[(int) steps];
        INDArray mean = Transforms.abs(eps, true).mean(0, 1);
        for (int t = 0; t < steps; t++) {
            byStep[t] = mean.getDouble(t);
        }
        return new Result(Math.sqrt(sq), byStep);
    }
}
