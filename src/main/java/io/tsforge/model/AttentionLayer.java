package io.tsforge.model;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Attention over a recurrent layer's time steps, queried by its last state (Luong's "general" attention, the LSTMa
 * pattern): for NCW input H [mb, n, T] with states h<sub>t</sub> and q = the state at each example's last real step,
 * <pre>
 *   s_t = h_t · (q W) / sqrt(n)          W [n, n]
 *   α   = softmax over the real steps of s
 *   c   = Σ_t α_t h_t
 *   out = [c | q]                        [mb, 2n]: the context next to the last state, for a dense head
 * </pre>
 * Masks: the features mask [mb, T] (right padding: real steps first) excludes padded steps from the softmax and picks
 * q at each example's last real step; the mask is consumed. An example with no real step gets out = 0.
 *
 * <p>Why not DL4J's {@code SelfAttentionLayer}: in DL4J 1.0.0-M2 its gradients are wrong. DL4J's own
 * {@code GradientCheckUtil} fails on LSTM -> SelfAttentionLayer -> pooling -> output in double precision, for one or
 * two heads, with or without input projection, with max or average pooling (measured: analytic over numerical
 * gradient between -10 and 16 across parameters, where the same network without the attention layer matches
 * exactly). Its gradients come from SameDiff's automatic differentiation, which is also wrong for recurrent graphs in
 * M2 (see {@link GruLayer}). So, as {@link GruLayer} does, this layer is a {@link SameDiffLayer} for configuration,
 * parameters and JSON, but {@link Impl} computes the forward and backward passes directly with ND4J;
 * {@code AttentionLayerTest} checks it with {@code GradientCheckUtil} and against a plain-Java forward pass.
 */
public class AttentionLayer extends NcwLayer {

    public static final String WEIGHT_KEY = "W";


    /** For JSON deserialisation. */
    protected AttentionLayer() {
    }

    /** Attention over nIn-wide states (0 = infer from the input type); the output is 2 * nIn wide. */
    public AttentionLayer(long nIn) {
        if (nIn < 0) {
            throw new IllegalArgumentException("AttentionLayer: nIn must be >= 0 (0 = infer), got " + nIn);
        }
        this.nIn = nIn;
        this.weightInit = null;
    }

    @Override
    protected NcwRuntime newRuntime(NeuralNetConfiguration conf, DataType networkDataType) {
        return new Impl(conf, networkDataType);
    }

    /** Not used: {@link #instantiate} supplies {@link Impl}, whose passes are computed directly (see above). */
    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        throw new UnsupportedOperationException("AttentionLayer computes its passes in AttentionLayer.Impl");
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        return new Pair<>(null, null); // the output [mb, 2n] has no time axis
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam(WEIGHT_KEY, nIn, nIn);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        INDArray w = params.get(WEIGHT_KEY);
        IWeightInit init = weightInitFor(WEIGHT_KEY);
        init.init(nIn, nIn, new long[]{nIn, nIn}, 'c', w);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        recurrent(inputType);
        return InputType.feedForward(2 * nIn);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AttentionLayer a) || !super.equals(o)) {
            return false;
        }
        return nIn == a.nIn && Objects.equals(weightInitFn, a.weightInitFn);
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof AttentionLayer;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), nIn, weightInitFn);
    }

    @Override
    public String toString() {
        return "AttentionLayer(name=" + getLayerName() + ", nIn=" + nIn + ")";
    }

    /** The runtime layer: forward and backward passes computed directly (the backward pass recomputes the forward). */
    public static class Impl extends NcwRuntime {

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        protected INDArray forward(boolean training) {
            return new Pass().output;
        }

        @Override
        protected INDArray backward(INDArray epsilon) {
            return new Pass().backward(epsilon);
        }

        /** The forward pass over the current input and mask, keeping what the backward pass needs. */
        private final class Pass {
            final DataType dt = paramTable.get(WEIGHT_KEY).dataType();
            final INDArray w = paramTable.get(WEIGHT_KEY);
            final INDArray h;             // [mb, n, T]
            final INDArray mask;          // [mb, T], 1 = real step
            final INDArray lastOneHot;    // [mb, T], 1 at each example's last real step
            final INDArray q;             // [mb, n]
            final INDArray k;             // q W, [mb, n]
            final INDArray alpha;         // [mb, T]
            final INDArray output;        // [mb, 2n]
            final double scale;

            Pass() {
                if (input.rank() != 3) {
                    throw new IllegalStateException("AttentionLayer expects NCW input [mb, n, T], got "
                            + Arrays.toString(input.shape()));
                }
                h = input.castTo(dt);
                long mb = h.size(0);
                long n = h.size(1);
                long steps = h.size(2);
                scale = 1.0 / Math.sqrt(n);
                if (maskArray != null && (maskArray.rank() != 2 || maskArray.size(0) != mb
                        || maskArray.size(1) != steps)) {
                    throw new IllegalStateException("AttentionLayer: features mask must be [minibatch, T] = [" + mb
                            + ", " + steps + "], got " + Arrays.toString(maskArray.shape()));
                }
                mask = maskArray == null ? Nd4j.ones(dt, mb, steps) : maskArray.castTo(dt);
                // last real step: mask_t = 1 and mask_(t+1) = 0 (or t = T - 1)
                INDArray next = Nd4j.zeros(dt, mb, steps);
                if (steps > 1) {
                    next.get(NDArrayIndex.all(), NDArrayIndex.interval(0, steps - 1))
                            .assign(mask.get(NDArrayIndex.all(), NDArrayIndex.interval(1, steps)));
                }
                lastOneHot = mask.mul(next.rsub(1.0));
                q = weighted(lastOneHot);
                k = q.mmul(w);
                INDArray s = Nd4j.create(dt, mb, steps);
                for (long t = 0; t < steps; t++) {
                    s.getColumn(t).assign(step(t).mul(k).sum(1).muli(scale));
                }
                // masked softmax over the real steps
                INDArray masked = s.add(mask.rsub(1.0).muli(-1e30));
                INDArray max = masked.max(1);
                INDArray e = Transforms.exp(masked.subColumnVector(max), false).muli(mask);
                INDArray sum = e.sum(1);
                alpha = e.diviColumnVector(Transforms.max(sum, 1e-30, false));
                output = Nd4j.concat(1, weighted(alpha), q);
            }

            INDArray step(long t) {
                return h.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t));
            }

            /** Σ_t weights[:, t] h_t, [mb, n]. */
            INDArray weighted(INDArray weights) {
                INDArray acc = Nd4j.zeros(dt, h.size(0), h.size(1));
                for (long t = 0; t < h.size(2); t++) {
                    acc.addi(step(t).mulColumnVector(weights.getColumn(t, true)));
                }
                return acc;
            }

            INDArray backward(INDArray epsilon) {
                long n = h.size(1);
                long steps = h.size(2);
                INDArray eps = epsilon.castTo(dt);
                INDArray dc = eps.get(NDArrayIndex.all(), NDArrayIndex.interval(0, n));
                INDArray dq = eps.get(NDArrayIndex.all(), NDArrayIndex.interval(n, 2 * n)).dup();
                INDArray dh = Nd4j.create(dt, h.shape());
                // c = Σ α_t h_t
                INDArray dAlpha = Nd4j.create(dt, h.size(0), steps);
                for (long t = 0; t < steps; t++) {
                    dAlpha.getColumn(t).assign(step(t).mul(dc).sum(1));
                }
                // softmax: ds_t = α_t (dα_t - Σ_u α_u dα_u); padded steps have α = 0
                INDArray ds = dAlpha.subColumnVector(alpha.mul(dAlpha).sum(1)).muli(alpha).muli(scale);
                // s_t = h_t · k * scale
                INDArray dk = Nd4j.zeros(dt, h.size(0), n);
                for (long t = 0; t < steps; t++) {
                    INDArray dsT = ds.getColumn(t, true);
                    dh.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t))
                            .assign(dc.mulColumnVector(alpha.getColumn(t, true)).addi(k.mulColumnVector(dsT)));
                    dk.addi(step(t).mulColumnVector(dsT));
                }
                // k = q W
                gradTable.get(WEIGHT_KEY).assign(q.transpose().mmul(dk));
                dq.addi(dk.mmul(w.transpose()));
                // q = h at the last real step
                for (long t = 0; t < steps; t++) {
                    dh.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t))
                            .addi(dq.mulColumnVector(lastOneHot.getColumn(t, true)));
                }
                return dh.castTo(input.dataType());
            }
        }
    }
}
