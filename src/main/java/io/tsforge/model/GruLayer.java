package io.tsforge.model;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A GRU layer for a {@link org.deeplearning4j.nn.multilayer.MultiLayerNetwork} (DL4J 1.0.0-M2 has none). It is
 * configured like any DL4J layer ({@code new GruLayer(nIn, nOut, returnSequence)} or {@link #builder()}), takes NCW
 * input [minibatch, nIn, T] and round-trips through the network JSON / {@code ModelSerializer}.
 *
 * <h2>Equations (the PyTorch / cuDNN variant, "reset after")</h2>
 * For each step t, with x<sub>t</sub> [mb, nIn] and the previous state h [mb, nOut] (h<sub>0</sub> = 0):
 * <pre>
 *   r  = σ(x W_ir + b_ir + h W_hr + b_hr)              reset gate
 *   z  = σ(x W_iz + b_iz + h W_hz + b_hz)              update gate
 *   n  = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))     candidate: the reset gate scales the recurrent term after
 *                                                       its matrix product (unlike Cho et al.'s (r ⊙ h) W_hn)
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * </pre>
 * This is {@code torch.nn.GRU} and Keras {@code GRU(reset_after=True)}.
 *
 * <h2>Parameters</h2>
 * Gate blocks are laid out in the order <b>[r | z | n]</b>, each nOut columns wide (x and h are row vectors):
 * {@code W} [nIn, 3·nOut] = [W_ir | W_iz | W_in], {@code RW} [nOut, 3·nOut] = [W_hr | W_hz | W_hn],
 * {@code b} [3·nOut] = [b_ir | b_iz | b_in], {@code rb} [3·nOut] = [b_hr | b_hz | b_hn].
 * Parameter count = 3·nOut·(nIn + nOut + 2), as in PyTorch: {@code weight_ih_l0} = W<sup>T</sup>,
 * {@code weight_hh_l0} = RW<sup>T</sup>, {@code bias_ih_l0} = b, {@code bias_hh_l0} = rb.
 * Weights are initialised as one [fanIn, nOut] matrix per gate with the layer's weight init, else the network's
 * global one (XAVIER unless the configuration says otherwise); biases start at 0.
 *
 * <h2>Masks</h2>
 * The features mask [mb, T] (1 = real step, 0 = padding) reaches the layer through the normal MultiLayerNetwork mask
 * propagation. On a masked step the state is carried over unchanged: h<sub>t</sub> = h<sub>t−1</sub> +
 * m<sub>t</sub> ⊙ (h'<sub>t</sub> − h<sub>t−1</sub>). Hence:
 * <ul>
 *   <li>{@code returnSequence = false}: the output [mb, nOut] is the state after the final step, which is the state
 *       at each example's last real step (for right-padded windows exactly what the unpadded prefix gives); with no
 *       mask it is simply the last step. The mask is consumed: layers after this one get none. An example whose
 *       mask is all zero gets h = 0 (no exception).</li>
 *   <li>{@code returnSequence = true}: the output [mb, nOut, T] (NCW) holds h<sub>t</sub> at real steps and 0 at
 *       masked ones (the DL4J LSTM convention); the mask is passed on, so GRU layers stack.</li>
 * </ul>
 * Masks in another data type than the network's are converted. Input dropout ({@code dropOut(p)}, p = keep
 * probability) is applied to the layer input as for DL4J's LSTM; there is no recurrent dropout.
 *
 * <h2>Implementation path, and why not SameDiff autodiff</h2>
 * The configuration is a {@link SameDiffLayer}, so parameters, initialisation, JSON and shapes use DL4J's standard
 * SameDiff-layer machinery, and {@link #defineLayer} gives the forward pass as an unrolled SameDiff graph. But
 * {@link #instantiate} returns {@link Impl}, which computes the forward pass and the backward pass (BPTT, written
 * out by hand) directly with ND4J operations, because SameDiff's automatic differentiation is wrong for recurrent
 * graphs in ND4J 1.0.0-M2: a computed value that feeds two later operations (as h<sub>t−1</sub> must: h W and the
 * state update) gets a zero or partial gradient (deeplearning4j issue #9655, "Zero SameDiff Gradients"; reproduced
 * on M2 with y + y·y, y = σ(xW), and with this layer's unrolled graph, whose weight gradients came out 0). The fused
 * libnd4j {@code gru} op ({@code sd.rnn().gru}) computes the same forward equations (with b_hn = 0), but its
 * backward pass in M2 disagrees with a numerical gradient by up to ~10%, and it has no mask input.
 * {@code GruLayerTest} checks {@link Impl} against a numerical gradient ({@code GradientCheckUtil}) and checks
 * its forward pass against a plain-Java GRU and against the SameDiff graph of {@link #defineLayer}.
 * Sequences of any length T work, and T may change from call to call. {@link Impl}'s backward pass recomputes the
 * forward pass instead of keeping state between calls (training costs about one extra forward pass).
 * Not supported: {@code rnnTimeStep} state carry-over, truncated BPTT, NWC input.
 */
public class GruLayer extends NcwLayer {

    /** Parameter keys (layouts in the class javadoc). */
    public static final String WEIGHT_KEY = "W";
    public static final String RECURRENT_WEIGHT_KEY = "RW";
    public static final String BIAS_KEY = "b";
    public static final String RECURRENT_BIAS_KEY = "rb";

    private long nOut;
    private boolean returnSequence;

    /** For JSON deserialisation. */
    protected GruLayer() {
    }

    /** A GRU layer; nIn may be 0 to be inferred by {@code setInputType}. Weight init: global (XAVIER by default). */
    public GruLayer(long nIn, long nOut, boolean returnSequence) {
        this.nIn = nIn;
        this.nOut = nOut;
        this.returnSequence = returnSequence;
        this.weightInit = null;
        validate();
    }

    protected GruLayer(Builder b) {
        super(b);
        this.nIn = b.nIn;
        this.nOut = b.nOut;
        this.returnSequence = b.returnSequence;
        validate();
    }

    private void validate() {
        if (nOut <= 0) {
            throw new IllegalArgumentException("GruLayer: nOut must be positive, got " + nOut);
        }
        if (nIn < 0) {
            throw new IllegalArgumentException("GruLayer: nIn must be >= 0 (0 = infer from the input type), got "
                    + nIn);
        }
    }

    /** 3·nOut·(nIn + nOut + 2). */
    public static long parameterCount(long nIn, long nOut) {
        return 3 * nOut * (nIn + nOut + 2);
    }

    // ------------------------------------------------------------------------------------------------ layer

    @Override
    protected NcwRuntime newRuntime(NeuralNetConfiguration conf, DataType networkDataType) {
        return new Impl(conf, networkDataType);
    }

    /**
     * The same forward pass as {@link Impl}, unrolled as a SameDiff graph (one block of ops per step). DL4J does not
     * call it, because {@link #instantiate} supplies {@link Impl}; it documents the equations in SameDiff form and is
     * the cross-check for {@link Impl}'s forward pass. Do not train through it on ND4J 1.0.0-M2 (see the class
     * javadoc). {@code mask} is [mb, T] (ones for no mask).
     */
    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        long[] shape = input.getShape();
        if (shape == null || shape.length != 3 || shape[2] <= 0) {
            throw new IllegalStateException("GruLayer expects NCW input [minibatch, nIn, T] with a known T; got "
                    + Arrays.toString(shape));
        }
        int steps = (int) shape[2];
        int n = (int) nOut;
        SDVariable w = p.get(WEIGHT_KEY);
        SDVariable rw = p.get(RECURRENT_WEIGHT_KEY);
        SDVariable b = p.get(BIAS_KEY);
        SDVariable rb = p.get(RECURRENT_BIAS_KEY);
        SDVariable m = mask.castTo(input.dataType());
        SDVariable h = m.get(SDIndex.all(), SDIndex.interval(0, 1))
                .mmul(sd.constant(Nd4j.zeros(input.dataType(), 1, nOut)));       // zeros [mb, nOut]
        SDVariable[] hs = new SDVariable[steps];
        for (int t = 0; t < steps; t++) {
            SDVariable xp = input.get(SDIndex.all(), SDIndex.all(), SDIndex.point(t)).mmul(w).add(b);
            SDVariable hh = h.mmul(rw).add(rb);
            SDVariable r = sd.nn().sigmoid(cols(xp, 0, n).add(cols(hh, 0, n)));
            SDVariable z = sd.nn().sigmoid(cols(xp, n, 2 * n).add(cols(hh, n, 2 * n)));
            SDVariable cand = sd.math().tanh(cols(xp, 2 * n, 3 * n).add(r.mul(cols(hh, 2 * n, 3 * n))));
            SDVariable g = z.rsub(1.0).mul(m.get(SDIndex.all(), SDIndex.interval(t, t + 1)));
            h = h.add(g.mul(cand.sub(h)));
            hs[t] = h;
        }
        if (!returnSequence) {
            return h;
        }
        return sd.stack(2, hs).mul(sd.expandDims(m, 1));
    }

    private static SDVariable cols(SDVariable v, int from, int to) {
        return v.get(SDIndex.all(), SDIndex.interval(from, to));
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 3) {
            throw new IllegalStateException("GruLayer expects rank 3 NCW input [minibatch, nIn, T], got shape "
                    + Arrays.toString(input.shape()));
        }
        if (nIn > 0 && input.size(1) != nIn) {
            throw new IllegalStateException("GruLayer: input has " + input.size(1) + " features (dimension 1 of NCW "
                    + Arrays.toString(input.shape()) + "), the layer expects nIn = " + nIn);
        }
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        // The last-state output [mb, nOut] has no time axis: the mask has been used up here.
        return returnSequence ? new Pair<>(maskArray, currentMaskState) : new Pair<>(null, null);
    }

    // ------------------------------------------------------------------------------------------------ parameters

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam(WEIGHT_KEY, nIn, 3 * nOut);
        params.addWeightParam(RECURRENT_WEIGHT_KEY, nOut, 3 * nOut);
        params.addBiasParam(BIAS_KEY, 3 * nOut);
        params.addBiasParam(RECURRENT_BIAS_KEY, 3 * nOut);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String key = e.getKey();
            INDArray arr = e.getValue();
            if (BIAS_KEY.equals(key) || RECURRENT_BIAS_KEY.equals(key)) {
                arr.assign(0);
                continue;
            }
            IWeightInit init = weightInitFor(key);
            long rows = arr.size(0);
            for (int g = 0; g < 3; g++) {           // each gate block is its own [rows, nOut] matrix
                INDArray block = Nd4j.createUninitialized(arr.dataType(), rows, nOut);
                init.init(rows, nOut, new long[]{rows, nOut}, 'c', block);
                arr.get(NDArrayIndex.all(), NDArrayIndex.interval(g * nOut, (g + 1) * nOut)).assign(block);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ shapes

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeRecurrent in = recurrent(inputType);
        return returnSequence ? InputType.recurrent(nOut, in.getTimeSeriesLength(), RNNFormat.NCW)
                : InputType.feedForward(nOut);
    }

    // ------------------------------------------------------------------------------------------------ bean

    public long getNOut() {
        return nOut;
    }

    public void setNOut(long nOut) {
        this.nOut = nOut;
    }

    public boolean isReturnSequence() {
        return returnSequence;
    }

    public void setReturnSequence(boolean returnSequence) {
        this.returnSequence = returnSequence;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GruLayer g) || !super.equals(o)) {
            return false;
        }
        return nIn == g.nIn && nOut == g.nOut && returnSequence == g.returnSequence
                && Objects.equals(weightInitFn, g.weightInitFn);
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof GruLayer;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), nIn, nOut, returnSequence, weightInitFn);
    }

    @Override
    public String toString() {
        return "GruLayer(name=" + getLayerName() + ", nIn=" + nIn + ", nOut=" + nOut + ", returnSequence="
                + returnSequence + ", weightInit=" + (weightInit != null ? weightInit : weightInitFn) + ")";
    }

    // ------------------------------------------------------------------------------------------------ builder

    public static Builder builder() {
        return new Builder();
    }

    /** {@code GruLayer.builder().nIn(..).nOut(..).returnSequence(..).weightInit(..).l2(..).dropOut(..).build()}. */
    public static class Builder extends SameDiffLayer.Builder<Builder> {
        private long nIn;
        private long nOut;
        private boolean returnSequence;

        public Builder() {
            this.weightInit = null; // null = inherit the network's global weight init (XAVIER by default)
        }

        public Builder nIn(long nIn) {
            this.nIn = nIn;
            return this;
        }

        public Builder nOut(long nOut) {
            this.nOut = nOut;
            return this;
        }

        /** Alias of {@link #nOut(long)}. */
        public Builder units(long units) {
            return nOut(units);
        }

        public Builder returnSequence(boolean returnSequence) {
            this.returnSequence = returnSequence;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public GruLayer build() {
            return new GruLayer(this);
        }
    }

    // ------------------------------------------------------------------------------------------------ runtime

    /**
     * The runtime layer: DL4J's SameDiff layer (parameter and gradient views, mask bookkeeping) with the forward and
     * backward passes computed directly. The backward pass recomputes the forward pass, so nothing is cached between
     * calls.
     */
    public static class Impl extends NcwRuntime {

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private GruLayer gru() {
            return (GruLayer) layerConf();
        }

        @Override
        protected void validate() {
            gru().validateInput(input);
        }

        @Override
        protected INDArray forward(boolean training) {
            return new Pass(false).output();
        }

        @Override
        protected INDArray backward(INDArray epsilon) {
            return new Pass(true).backward(epsilon);
        }

        /** One forward pass over the current input and mask, keeping what the backward pass needs if asked. */
        private final class Pass {
            final DataType dt = paramTable.get(WEIGHT_KEY).dataType();
            final int mb = (int) input.size(0);
            final int steps = (int) input.size(2);
            final int n = (int) gru().getNOut();
            final INDArray w = paramTable.get(WEIGHT_KEY);
            final INDArray rw = paramTable.get(RECURRENT_WEIGHT_KEY);
            final INDArray mask;                      // [mb, T] or null
            final INDArray xFlat;                     // [T*mb, nIn], row t*mb + i = example i at step t
            final INDArray[] hs;                      // hs[t] = h_t, hs[0] = 0
            final INDArray[] r;
            final INDArray[] z;
            final INDArray[] cand;
            final INDArray[] hn;                      // h W_hn + b_hn
            final INDArray[] g;                       // m * (1 - z)

            Pass(boolean keep) {
                INDArray m = maskArray;
                if (m != null && (m.rank() != 2 || m.size(0) != mb || m.size(1) != steps)) {
                    throw new IllegalStateException("GruLayer: features mask must be [minibatch, T] = [" + mb + ", "
                            + steps + "], got " + Arrays.toString(m.shape()));
                }
                mask = m == null ? null : m.castTo(dt);
                xFlat = input.castTo(dt).permute(2, 0, 1).dup('c').reshape('c', (long) steps * mb, input.size(1));
                INDArray xp = xFlat.mmul(w).addiRowVector(paramTable.get(BIAS_KEY));  // [T*mb, 3n]
                INDArray rb = paramTable.get(RECURRENT_BIAS_KEY);
                hs = new INDArray[steps + 1];
                r = keep ? new INDArray[steps] : null;
                z = keep ? new INDArray[steps] : null;
                cand = keep ? new INDArray[steps] : null;
                hn = keep ? new INDArray[steps] : null;
                g = keep ? new INDArray[steps] : null;
                hs[0] = Nd4j.zeros(dt, mb, n);
                for (int t = 0; t < steps; t++) {
                    INDArray h = hs[t];
                    INDArray x = xp.get(NDArrayIndex.interval((long) t * mb, (long) (t + 1) * mb), NDArrayIndex.all());
                    INDArray hh = h.mmul(rw).addiRowVector(rb);                   // [mb, 3n]
                    INDArray rz = Transforms.sigmoid(x.get(cols(0, 2)).add(hh.get(cols(0, 2))), false);
                    INDArray rt = rz.get(cols(0, 1));
                    INDArray zt = rz.get(cols(1, 2));
                    INDArray hnt = hh.get(cols(2, 3));
                    INDArray nt = Transforms.tanh(rt.mul(hnt).addi(x.get(cols(2, 3))), false);
                    INDArray gt = zt.rsub(1.0);
                    if (mask != null) {
                        gt.muliColumnVector(mask.getColumn(t, true));
                    }
                    hs[t + 1] = nt.sub(h).muli(gt).addi(h);                       // h + g (n - h)
                    if (keep) {
                        r[t] = rt;
                        z[t] = zt;
                        cand[t] = nt;
                        hn[t] = hnt;
                        g[t] = gt;
                    }
                }
            }

            /** Columns of gate blocks [from, to) of a [rows, 3n] array. */
            INDArrayIndex[] cols(int from, int to) {
                return new INDArrayIndex[]{NDArrayIndex.all(), NDArrayIndex.interval((long) from * n, (long) to * n)};
            }

            INDArray output() {
                if (!gru().isReturnSequence()) {
                    return hs[steps];
                }
                INDArray out = Nd4j.create(dt, mb, n, steps);
                for (int t = 0; t < steps; t++) {
                    INDArray ht = hs[t + 1];
                    if (mask != null) {
                        ht = ht.mulColumnVector(mask.getColumn(t, true));
                    }
                    out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).assign(ht);
                }
                return out;
            }

            /** BPTT: writes the parameter gradients into the layer's gradient views, returns dL/dInput. */
            INDArray backward(INDArray epsilon) {
                INDArray eps = epsilon.castTo(dt);
                boolean seq = gru().isReturnSequence();
                // Per-step gradients, rows t*mb..(t+1)*mb-1 for step t: dL/d(h RW + rb) and dL/d(a_n)
                INDArray dhh = Nd4j.create(dt, (long) steps * mb, 3L * n);
                INDArray dAn = Nd4j.create(dt, (long) steps * mb, n);
                INDArray rwT = rw.transpose();
                INDArray dh = seq ? Nd4j.zeros(dt, mb, n) : eps.dup();          // dL/dh_t
                for (int t = steps - 1; t >= 0; t--) {
                    if (seq) {
                        INDArray direct = eps.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t));
                        if (mask != null) {
                            direct = direct.mulColumnVector(mask.getColumn(t, true));
                        }
                        dh.addi(direct);
                    }
                    INDArrayIndex rows = NDArrayIndex.interval((long) t * mb, (long) (t + 1) * mb);
                    INDArray dhhT = dhh.get(rows, NDArrayIndex.all());
                    INDArray dAnT = dAn.get(rows, NDArrayIndex.all());
                    // h_t = h + g (n - h), g = m (1 - z):  dn = dh g, dz = -m dh (n - h), dh_prev = dh (1 - g)
                    INDArray dCand = dh.mul(g[t]);
                    INDArray dz = dh.mul(hs[t].sub(cand[t]));
                    if (mask != null) {
                        dz.muliColumnVector(mask.getColumn(t, true));
                    }
                    INDArray dhPrev = dh.subi(dCand);
                    // n = tanh(a_n), a_n = x_n + r hn;  r = sigmoid(a_r), z = sigmoid(a_z)
                    dCand.muli(cand[t].mul(cand[t]).rsubi(1.0), dAnT);
                    dAnT.mul(r[t], dhhT.get(cols(2, 3)));                          // dL/d hn
                    dAnT.mul(hn[t]).muli(r[t].rsub(1.0).muli(r[t]), dhhT.get(cols(0, 1)));
                    dz.muli(z[t].rsub(1.0).muli(z[t]), dhhT.get(cols(1, 2)));
                    dh = dhPrev.addi(dhhT.mmul(rwT));                               // + dL/dh via h RW
                }
                INDArray hPrev = Nd4j.concat(0, Arrays.copyOf(hs, steps));          // [T*mb, n]
                gradTable.get(RECURRENT_WEIGHT_KEY).assign(hPrev.transpose().mmul(dhh));
                gradTable.get(RECURRENT_BIAS_KEY).assign(dhh.sum(0));
                INDArray dxp = dhh;                                                   // dL/d(x W + b) = [da_r | da_z | da_n]
                dxp.get(NDArrayIndex.all(), NDArrayIndex.interval(2L * n, 3L * n)).assign(dAn);
                gradTable.get(WEIGHT_KEY).assign(xFlat.transpose().mmul(dxp));
                gradTable.get(BIAS_KEY).assign(dxp.sum(0));
                INDArray dxFlat = dxp.mmul(w.transpose());                          // [T*mb, nIn]
                return dxFlat.reshape('c', steps, mb, input.size(1)).permute(1, 2, 0).dup('c')
                        .castTo(input.dataType());
            }
        }
    }
}
