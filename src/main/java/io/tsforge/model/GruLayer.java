package io.tsforge.model;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitXavier;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Map;
import java.util.Objects;

/**
 * A GRU layer for a {@link org.deeplearning4j.nn.multilayer.MultiLayerNetwork} (DL4J 1.0.0-M2 has none), written as a
 * {@link SameDiffLayer}.
 *
 * <h2>Equations (the PyTorch / cuDNN variant, "reset after")</h2>
 * For each step t, with x<sub>t</sub> the input [mb, nIn] and h<sub>t−1</sub> the previous state [mb, nOut]
 * (h<sub>0</sub> = 0):
 * <pre>
 *   r  = σ(x W_ir + b_ir + h W_hr + b_hr)            reset gate
 *   z  = σ(x W_iz + b_iz + h W_hz + b_hz)            update gate
 *   n  = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))   candidate (the reset gate scales the recurrent term AFTER
 *                                                     the matrix product, so b_hn sits inside r ⊙ (...))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * </pre>
 * This is {@code torch.nn.GRU} and Keras {@code GRU(reset_after=True)}; it is not the original Cho et al. form
 * (n = tanh(x W_in + (r ⊙ h) W_hn + b)) used by the libnd4j {@code gru} op.
 *
 * <h2>Parameters</h2>
 * Gate blocks are laid out in the order <b>[r | z | n]</b>, each nOut columns wide:
 * <ul>
 *   <li>{@code W}  [nIn, 3·nOut]: input weights, columns [W_ir | W_iz | W_in] (x is a row vector: x W);</li>
 *   <li>{@code RW} [nOut, 3·nOut]: recurrent weights [W_hr | W_hz | W_hn];</li>
 *   <li>{@code b}  [3·nOut]: input biases [b_ir | b_iz | b_in];</li>
 *   <li>{@code rb} [3·nOut]: recurrent biases [b_hr | b_hz | b_hn].</li>
 * </ul>
 * Parameter count = 3·nOut·(nIn + nOut + 2). PyTorch's {@code weight_ih_l0} is W transposed
 * (and {@code weight_hh_l0} is RW transposed); its biases are b and rb as they are.
 * Weights are initialised per gate block with fanIn = nIn (or nOut for RW) and fanOut = nOut, using the layer's
 * weight init, else the network's global one (XAVIER unless the configuration says otherwise); biases start at 0.
 *
 * <h2>Masks</h2>
 * The features mask [mb, T] (1 = real step, 0 = padding) reaches this layer through the normal MultiLayerNetwork
 * mask propagation. On a masked step the state is carried over unchanged: h<sub>t</sub> = h<sub>t−1</sub> +
 * m<sub>t</sub> ⊙ (h'<sub>t</sub> − h<sub>t−1</sub>). Hence:
 * <ul>
 *   <li>{@code returnSequence = false}: the output [mb, nOut] is the state after the final step, which is the state
 *       at each example's last real step (for right-padded windows exactly what a run on the unpadded prefix gives);
 *       with no mask it is simply the last step. The mask is consumed here: layers after this one get none.
 *       An example whose mask is all zero gets h = 0 (no exception).</li>
 *   <li>{@code returnSequence = true}: the output [mb, nOut, T] (NCW) holds h<sub>t</sub> at real steps and 0 at
 *       masked ones (the DL4J LSTM convention), and the mask is passed on to the next layer, so GRU layers stack.</li>
 * </ul>
 *
 * <h2>Implementation path and its limits</h2>
 * The recurrence is unrolled in SameDiff ops, one block per time step. The input projections of all steps are
 * computed first with one matrix product ([mb·T, nIn] × [nIn, 3·nOut]); each step then costs one [mb, nOut] ×
 * [nOut, 3·nOut] product and a dozen element-wise ops. Gradients come from SameDiff's automatic differentiation.
 * The fused {@code sd.rnn().gru(..)} op was not used: it implements the other GRU variant (reset applied before the
 * recurrent matrix product, a single bias per gate) and has no sequence-length or mask input, so it could not give
 * the last real step of right-padded windows. Because DL4J builds a SameDiff layer's graph once, from the first input
 * it sees, the unrolled graph has a fixed length: every input a network instance receives must have the same T
 * (the lookback; pad shorter windows on the right and pass a mask). A different T is not silently truncated: the
 * graph's per-step split fails with SameDiff's "Error in operation shape calculation for op "unstack": Got 8 op
 * output shapes for an operation with 6 outputs". (The check cannot live in this configuration object: networks
 * built from one {@code MultiLayerConfiguration} share it, and each may be used with its own T.)
 * Input must be NCW [mb, nIn, T]. Not supported: {@code rnnTimeStep} state carry-over, truncated BPTT.
 */
public class GruLayer extends SameDiffLayer {

    /** Parameter keys (see the class javadoc for their layout). */
    public static final String WEIGHT_KEY = "W";
    public static final String RECURRENT_WEIGHT_KEY = "RW";
    public static final String BIAS_KEY = "b";
    public static final String RECURRENT_BIAS_KEY = "rb";

    private long nIn;
    private long nOut;
    private boolean returnSequence;
    /** Resolved weight init (layer setting, else the global one); null until configured, then XAVIER applies. */
    private IWeightInit weightInitFn;

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

    // ------------------------------------------------------------------------------------------------ the graph

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        long[] shape = input.getShape();
        if (shape == null || shape.length != 3 || shape[2] <= 0) {
            throw new IllegalStateException("GruLayer expects NCW input [minibatch, " + nIn + ", T] with a known T; "
                    + "got shape " + java.util.Arrays.toString(shape));
        }
        int t = (int) shape[2];
        int n = (int) nOut;

        SDVariable w = p.get(WEIGHT_KEY);
        SDVariable rw = p.get(RECURRENT_WEIGHT_KEY);
        SDVariable b = p.get(BIAS_KEY);
        SDVariable rb = p.get(RECURRENT_BIAS_KEY);

        // Input projections for all steps at once: [mb, nIn, T] -> [mb, T, nIn] -> [mb*T, nIn] x W + b -> [mb, T, 3n]
        SDVariable xFlat = sd.reshape(sd.permute(input, 0, 2, 1), -1, nIn);
        SDVariable xProj = sd.reshape(xFlat.mmul(w).add(b), -1, t, 3L * n);
        SDVariable[] xRz = sd.unstack(xProj.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, 2 * n)), 1, t);
        SDVariable[] xN = sd.unstack(xProj.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(2 * n, 3 * n)), 1, t);
        // Mask [mb, T] (DL4J passes ones when the network has none) -> T arrays [mb, 1]
        SDVariable[] m = sd.unstack(sd.expandDims(mask.castTo(input.dataType()), 2), 1, t);

        SDVariable rbRz = rb.get(SDIndex.interval(0, 2 * n));
        SDVariable rbN = rb.get(SDIndex.interval(2 * n, 3 * n));
        SDVariable h = null; // null = the zero initial state
        SDVariable[] hs = returnSequence ? new SDVariable[t] : null;
        for (int i = 0; i < t; i++) {
            SDVariable hRz;
            SDVariable hN;
            if (h == null) {                        // h W_h + b_h with h = 0 is just b_h (broadcast)
                hRz = rbRz;
                hN = rbN;
            } else {
                SDVariable hh = h.mmul(rw).add(rb); // [mb, 3n]
                hRz = hh.get(SDIndex.all(), SDIndex.interval(0, 2 * n));
                hN = hh.get(SDIndex.all(), SDIndex.interval(2 * n, 3 * n));
            }
            SDVariable rz = sd.nn().sigmoid(xRz[i].add(hRz));
            SDVariable r = rz.get(SDIndex.all(), SDIndex.interval(0, n));
            SDVariable z = rz.get(SDIndex.all(), SDIndex.interval(n, 2 * n));
            SDVariable cand = sd.math().tanh(xN[i].add(r.mul(hN)));
            // h' - h = (1 - z) (n - h); masked: h_t = h + m (1 - z) (n - h)
            SDVariable gate = z.rsub(1.0).mul(m[i]);
            h = h == null ? gate.mul(cand) : h.add(gate.mul(cand.sub(h)));
            if (hs != null) {
                hs[i] = h;
            }
        }
        if (!returnSequence) {
            return h;                               // [mb, nOut]: the state at the last real step
        }
        SDVariable seq = sd.stack(2, hs);           // [mb, nOut, T]
        return seq.mul(sd.expandDims(mask.castTo(input.dataType()), 1)); // zero the padded steps
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 3) {
            throw new IllegalStateException("GruLayer expects rank 3 NCW input [minibatch, nIn, T], got shape "
                    + java.util.Arrays.toString(input.shape()));
        }
        if (nIn > 0 && input.size(1) != nIn) {
            throw new IllegalStateException("GruLayer: input has " + input.size(1) + " features (dimension 1 of NCW "
                    + java.util.Arrays.toString(input.shape()) + "), the layer expects nIn = " + nIn);
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

    /** 3·nOut·(nIn + nOut + 2). */
    public static long parameterCount(long nIn, long nOut) {
        return 3 * nOut * (nIn + nOut + 2);
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
            IWeightInit init = paramWeightInit != null && paramWeightInit.containsKey(key) ? paramWeightInit.get(key)
                    : weightInit != null ? weightInit.getWeightInitFunction()
                    : weightInitFn != null ? weightInitFn : new WeightInitXavier();
            long rows = arr.size(0);
            for (int g = 0; g < 3; g++) {           // each gate block is its own [rows, nOut] matrix
                INDArray block = Nd4j.createUninitialized(arr.dataType(), rows, nOut);
                init.init(rows, nOut, new long[]{rows, nOut}, 'c', block);
                arr.get(NDArrayIndex.all(), NDArrayIndex.interval(g * nOut, (g + 1) * nOut)).assign(block);
            }
        }
    }

    @Override
    public void applyGlobalConfigToLayer(NeuralNetConfiguration.Builder globalConfig) {
        if (weightInitFn == null) {
            weightInitFn = weightInit != null ? weightInit.getWeightInitFunction() : globalConfig.getWeightInitFn();
        }
    }

    // ------------------------------------------------------------------------------------------------ shapes

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeRecurrent in = recurrent(inputType);
        return returnSequence ? InputType.recurrent(nOut, in.getTimeSeriesLength(), RNNFormat.NCW)
                : InputType.feedForward(nOut);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        InputType.InputTypeRecurrent in = recurrent(inputType);
        if (nIn <= 0 || override) {
            nIn = in.getSize();
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return InputTypeUtil.getPreprocessorForInputTypeRnnLayers(inputType, RNNFormat.NCW, getLayerName());
    }

    private InputType.InputTypeRecurrent recurrent(InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeRecurrent r)) {
            throw new IllegalStateException("GruLayer (" + getLayerName() + ") needs recurrent input, got "
                    + inputType);
        }
        if (r.getFormat() != null && r.getFormat() != RNNFormat.NCW) {
            throw new IllegalStateException("GruLayer (" + getLayerName() + ") supports NCW input only, got "
                    + r.getFormat());
        }
        return r;
    }

    // ------------------------------------------------------------------------------------------------ bean

    public long getNIn() {
        return nIn;
    }

    public void setNIn(long nIn) {
        this.nIn = nIn;
    }

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

    public IWeightInit getWeightInitFn() {
        return weightInitFn;
    }

    public void setWeightInitFn(IWeightInit weightInitFn) {
        this.weightInitFn = weightInitFn;
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

    /** {@code GruLayer.builder().nIn(..).nOut(..).returnSequence(..).weightInit(..).l2(..).build()}. */
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
}
