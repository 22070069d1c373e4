package io.tsforge.model;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An LSTM layer for a {@link org.deeplearning4j.nn.multilayer.MultiLayerNetwork} that runs libnd4j's fused
 * {@code lstmLayer} op for the forward pass and its {@code lstmLayer_bp} op for the backward pass: one native call
 * each per minibatch, where DL4J's {@code LSTM} layer issues several ND4J operations per time step from Java (the
 * per-operation overhead that makes it slow for small minibatches, shared/BENCHMARKS.md section 3). Configured like
 * {@link GruLayer}: {@code new FusedLstmLayer(nIn, nOut, returnSequence)} or {@link #builder()}; NCW input
 * [minibatch, nIn, T]; round-trips through the network JSON / {@code ModelSerializer}.
 *
 * <h2>Equations (no peepholes; the same as DL4J's {@code LSTM}, PyTorch's and Keras' LSTM)</h2>
 * For each step t, with x<sub>t</sub> [mb, nIn], h and c the previous output and cell state (both 0 at t = 0):
 * <pre>
 *   i  = σ(x W_i + h RW_i + b_i)      input gate
 *   f  = σ(x W_f + h RW_f + b_f)      forget gate
 *   g  = tanh(x W_g + h RW_g + b_g)   cell candidate
 *   o  = σ(x W_o + h RW_o + b_o)      output gate
 *   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
 * </pre>
 *
 * <h2>Parameters</h2>
 * Gate blocks in the op's order <b>[i | f | g | o]</b> (also PyTorch's), each nOut columns wide:
 * {@code W} [nIn, 4·nOut], {@code RW} [nOut, 4·nOut], {@code b} [4·nOut]; 4·nOut·(nIn + nOut + 1) parameters.
 * PyTorch: {@code weight_ih_l0} = W<sup>T</sup>, {@code weight_hh_l0} = RW<sup>T</sup>, b = bias_ih + bias_hh.
 * DL4J's {@code LSTM} has the same three arrays with its blocks in the order [g | f | o | i]
 * ({@link #fromDl4jGateOrder} converts). Initialisation follows DL4J's {@code LSTM} so that the two train alike:
 * W and RW from the weight init with fanIn = nOut, fanOut = nIn + nOut (the layer's init, else the network's, else
 * XAVIER), b = 0 except the forget-gate block, {@link #getForgetGateBiasInit()} (1.0 by default, as DL4J's).
 *
 * <h2>Masks</h2>
 * The features mask [mb, T] must be right-padded: each row is 1 for its first L<sub>i</sub> steps (the example's real
 * history) and 0 after; any other mask is rejected with an exception naming the row. The op itself does not take a
 * mask but an optional per-example length vector (seqLen); with seqLen, libnd4j's time loop switches to one example
 * at a time (vector-matrix products, mb times as many native calls), which would undo the point of the fused op. So
 * this layer never passes seqLen: the recurrence is causal, so the state at step L<sub>i</sub> − 1 does not depend on
 * the padded steps after it, and
 * <ul>
 *   <li>{@code returnSequence = false}: the output [mb, nOut] is h at each example's last real step (L<sub>i</sub> −
 *       1), selected from the full sequence; without a mask, or with a mask of ones, the op's last-step output is used
 *       directly. An example with L<sub>i</sub> = 0 gets h = 0. The mask is consumed. This is what DL4J's
 *       {@code LastTimeStep(LSTM)} gives.</li>
 *   <li>{@code returnSequence = true}: the output [mb, nOut, T] holds h<sub>t</sub> at real steps and 0 at padded ones
 *       (DL4J's LSTM convention, and what the op's seqLen mode returns); the mask is passed on, so layers stack.</li>
 * </ul>
 * The backward pass gives the op a zero output gradient at padded steps, so nothing flows through them: parameter
 * gradients are those of the unpadded prefixes and the input gradient is 0 at padded steps.
 *
 * <h2>Implementation path</h2>
 * As for {@link GruLayer}, the configuration is a {@link SameDiffLayer} (parameters, initialisation, JSON, shapes)
 * and {@link #instantiate} returns {@link Impl}, which runs the ops directly; SameDiff's automatic differentiation is
 * not used (it is wrong for recurrent graphs in ND4J 1.0.0-M2, see {@link GruLayer}). {@link #defineLayer} gives the
 * same forward pass as an unrolled SameDiff graph, used by the tests as a cross-check. The ops run in data format
 * TNS ([T, mb, nIn], contiguous [mb, nIn] slices per step), so the input is permuted once per pass.
 * {@code FusedLstmLayerTest} checks the gradients with DL4J's {@code GradientCheckUtil} and the forward pass against
 * DL4J's own {@code LSTM} with the same weights.
 * Not supported: {@code rnnTimeStep} state carry-over, truncated BPTT, NWC input, masks with holes, recurrent dropout.
 * Input dropout ({@code dropOut(p)}, p = keep probability) applies to the layer input, as for DL4J's LSTM.
 */
public class FusedLstmLayer extends NcwLayer {

    /** Parameter keys (layouts in the class javadoc). */
    public static final String WEIGHT_KEY = "W";
    public static final String RECURRENT_WEIGHT_KEY = "RW";
    public static final String BIAS_KEY = "b";

    /** libnd4j activation ids of the lstmLayer op: 0 = tanh, 2 = sigmoid. */
    private static final int ACT_TANH = 0;
    private static final int ACT_SIGMOID = 2;
    /** lstmLayer data format 0 = TNS [T, mb, nIn]; direction 0 = forward. */
    private static final int FORMAT_TNS = 0;
    private static final int DIRECTION_FWD = 0;

    private long nOut;
    private boolean returnSequence;
    private double forgetGateBiasInit = 1.0;

    /** For JSON deserialisation. */
    protected FusedLstmLayer() {
    }

    /** An LSTM layer; nIn may be 0 to be inferred by {@code setInputType}. Weight init: global (XAVIER by default). */
    public FusedLstmLayer(long nIn, long nOut, boolean returnSequence) {
        this.nIn = nIn;
        this.nOut = nOut;
        this.returnSequence = returnSequence;
        this.weightInit = null;
        validate();
    }

    protected FusedLstmLayer(Builder b) {
        super(b);
        this.nIn = b.nIn;
        this.nOut = b.nOut;
        this.returnSequence = b.returnSequence;
        this.forgetGateBiasInit = b.forgetGateBiasInit;
        validate();
    }

    private void validate() {
        if (nOut <= 0) {
            throw new IllegalArgumentException("FusedLstmLayer: nOut must be positive, got " + nOut);
        }
        if (nIn < 0) {
            throw new IllegalArgumentException("FusedLstmLayer: nIn must be >= 0 (0 = infer from the input type), "
                    + "got " + nIn);
        }
        if (!Double.isFinite(forgetGateBiasInit)) {
            throw new IllegalArgumentException("FusedLstmLayer: forgetGateBiasInit must be finite, got "
                    + forgetGateBiasInit);
        }
    }

    /** 4·nOut·(nIn + nOut + 1). */
    public static long parameterCount(long nIn, long nOut) {
        return 4 * nOut * (nIn + nOut + 1);
    }

    /**
     * An array whose last dimension is 4·n gate blocks in DL4J {@code LSTM}'s order [g | f | o | i], reordered into
     * this layer's [i | f | g | o] (a new array). For copying a DL4J LSTM's W, RW and b into this layer.
     */
    public static INDArray fromDl4jGateOrder(INDArray dl4j) {
        long n = dl4j.size(-1) / 4;
        if (n * 4 != dl4j.size(-1)) {
            throw new IllegalArgumentException("fromDl4jGateOrder: last dimension must be 4·nOut, got shape "
                    + Arrays.toString(dl4j.shape()));
        }
        INDArray m = dl4j.reshape(dl4j.length() / (4 * n), 4 * n);
        int[] dl4jBlockOf = {3, 1, 0, 2};  // i, f, g, o in DL4J's [g | f | o | i]
        INDArray out = Nd4j.create(m.dataType(), m.shape());
        for (int blk = 0; blk < 4; blk++) {
            out.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(blk * n, (blk + 1) * n))
                    .assign(m.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.interval(dl4jBlockOf[blk] * n,
                                    (dl4jBlockOf[blk] + 1) * n)));
        }
        return out.reshape(dl4j.shape());
    }

    // ------------------------------------------------------------------------------------------------ layer

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        Impl layer = new Impl(conf, networkDataType);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        layer.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    /**
     * The forward pass of {@link Impl} as an unrolled SameDiff graph (one block of ops per step), for right-padded
     * masks: padded steps are zeroed in the sequence output and the last-step output is h at the last real step.
     * DL4J does not call it ({@link #instantiate} supplies {@link Impl}); it is the tests' cross-check. Do not train
     * through it on ND4J 1.0.0-M2 (see the class javadoc). {@code mask} is [mb, T] (ones for no mask).
     */
    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        long[] shape = input.getShape();
        if (shape == null || shape.length != 3 || shape[2] <= 0) {
            throw new IllegalStateException("FusedLstmLayer expects NCW input [minibatch, nIn, T] with a known T; "
                    + "got " + Arrays.toString(shape));
        }
        int steps = (int) shape[2];
        int n = (int) nOut;
        SDVariable w = p.get(WEIGHT_KEY);
        SDVariable rw = p.get(RECURRENT_WEIGHT_KEY);
        SDVariable b = p.get(BIAS_KEY);
        SDVariable m = mask.castTo(input.dataType());
        SDVariable zeros = m.get(SDIndex.all(), SDIndex.interval(0, 1))
                .mmul(sd.constant(Nd4j.zeros(input.dataType(), 1, nOut)));        // [mb, nOut]
        SDVariable h = zeros;
        SDVariable c = zeros;
        SDVariable last = zeros;
        SDVariable[] hs = new SDVariable[steps];
        for (int t = 0; t < steps; t++) {
            SDVariable z = input.get(SDIndex.all(), SDIndex.all(), SDIndex.point(t)).mmul(w).add(h.mmul(rw)).add(b);
            SDVariable i = sd.nn().sigmoid(cols(z, 0, n));
            SDVariable f = sd.nn().sigmoid(cols(z, n, 2 * n));
            SDVariable g = sd.math().tanh(cols(z, 2 * n, 3 * n));
            SDVariable o = sd.nn().sigmoid(cols(z, 3 * n, 4 * n));
            c = f.mul(c).add(i.mul(g));
            h = o.mul(sd.math().tanh(c));
            hs[t] = h;
            // mask_t - mask_{t+1} is 1 exactly at the last real step of a right-padded row
            SDVariable mt = m.get(SDIndex.all(), SDIndex.interval(t, t + 1));
            SDVariable isLast = t + 1 < steps ? mt.sub(m.get(SDIndex.all(), SDIndex.interval(t + 1, t + 2))) : mt;
            last = last.add(h.mul(isLast));
        }
        if (!returnSequence) {
            return last;
        }
        return sd.stack(2, hs).mul(sd.expandDims(m, 1));
    }

    private static SDVariable cols(SDVariable v, int from, int to) {
        return v.get(SDIndex.all(), SDIndex.interval(from, to));
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 3) {
            throw new IllegalStateException("FusedLstmLayer expects rank 3 NCW input [minibatch, nIn, T], got shape "
                    + Arrays.toString(input.shape()));
        }
        if (nIn > 0 && input.size(1) != nIn) {
            throw new IllegalStateException("FusedLstmLayer: input has " + input.size(1) + " features (dimension 1 "
                    + "of NCW " + Arrays.toString(input.shape()) + "), the layer expects nIn = " + nIn);
        }
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        return returnSequence ? new Pair<>(maskArray, currentMaskState) : new Pair<>(null, null);
    }

    /**
     * Per-example history lengths of a right-padded features mask [mb, T], or null when there is no mask or every
     * row is all ones (nothing to mask). Rejects any other mask, naming the first offending row.
     */
    static int[] rightPaddedLengths(INDArray mask, long mb, long steps) {
        if (mask == null) {
            return null;
        }
        if (mask.rank() != 2 || mask.size(0) != mb || mask.size(1) != steps) {
            throw new IllegalStateException("FusedLstmLayer: features mask must be [minibatch, T] = [" + mb + ", "
                    + steps + "], got " + Arrays.toString(mask.shape()));
        }
        double[][] m = mask.castTo(DataType.DOUBLE).toDoubleMatrix();
        int[] lengths = new int[(int) mb];
        boolean full = true;
        for (int i = 0; i < mb; i++) {
            int len = 0;
            while (len < steps && m[i][len] != 0) {
                len++;
            }
            for (int t = 0; t < steps; t++) {
                double expected = t < len ? 1.0 : 0.0;
                if (m[i][t] != expected) {
                    throw new IllegalStateException("FusedLstmLayer supports right-padded masks only (each row 1 for "
                            + "its first steps, then 0); mask row " + i + " is " + Arrays.toString(m[i]));
                }
            }
            lengths[i] = len;
            full &= len == steps;
        }
        return full ? null : lengths;
    }

    // ------------------------------------------------------------------------------------------------ parameters

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        params.addWeightParam(WEIGHT_KEY, nIn, 4 * nOut);
        params.addWeightParam(RECURRENT_WEIGHT_KEY, nOut, 4 * nOut);
        params.addBiasParam(BIAS_KEY, 4 * nOut);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String key = e.getKey();
            INDArray arr = e.getValue();
            if (BIAS_KEY.equals(key)) {
                arr.assign(0);
                arr.reshape(4 * nOut).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(nOut, 2 * nOut))
                        .assign(forgetGateBiasInit);
                continue;
            }
            IWeightInit init = weightInitFor(key);
            // DL4J's LSTMParamInitializer: fanIn = nOut, fanOut = nIn + nOut, for both W and RW
            INDArray values = Nd4j.createUninitialized(arr.dataType(), arr.shape());
            init.init(nOut, nIn + nOut, arr.shape(), 'c', values);
            arr.assign(values);
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

    public double getForgetGateBiasInit() {
        return forgetGateBiasInit;
    }

    public void setForgetGateBiasInit(double forgetGateBiasInit) {
        this.forgetGateBiasInit = forgetGateBiasInit;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof FusedLstmLayer l) || !super.equals(o)) {
            return false;
        }
        return nIn == l.nIn && nOut == l.nOut && returnSequence == l.returnSequence
                && Double.compare(forgetGateBiasInit, l.forgetGateBiasInit) == 0
                && Objects.equals(weightInitFn, l.weightInitFn);
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof FusedLstmLayer;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), nIn, nOut, returnSequence, forgetGateBiasInit, weightInitFn);
    }

    @Override
    public String toString() {
        return "FusedLstmLayer(name=" + getLayerName() + ", nIn=" + nIn + ", nOut=" + nOut + ", returnSequence="
                + returnSequence + ", forgetGateBiasInit=" + forgetGateBiasInit + ", weightInit="
                + (weightInit != null ? weightInit : weightInitFn) + ")";
    }

    // ------------------------------------------------------------------------------------------------ builder

    public static Builder builder() {
        return new Builder();
    }

    /** {@code FusedLstmLayer.builder().nIn(..).nOut(..).returnSequence(..).weightInit(..).dropOut(..).build()}. */
    public static class Builder extends SameDiffLayer.Builder<Builder> {
        private long nIn;
        private long nOut;
        private boolean returnSequence;
        private double forgetGateBiasInit = 1.0;

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

        public Builder forgetGateBiasInit(double forgetGateBiasInit) {
            this.forgetGateBiasInit = forgetGateBiasInit;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public FusedLstmLayer build() {
            return new FusedLstmLayer(this);
        }
    }

    // ------------------------------------------------------------------------------------------------ runtime

    /**
     * The runtime layer: DL4J's SameDiff layer (parameter and gradient views, mask bookkeeping) with the forward pass
     * run by libnd4j's {@code lstmLayer} op and the backward pass by {@code lstmLayer_bp} (which recomputes the
     * forward pass internally), so nothing is cached between calls.
     */
    public static class Impl extends org.deeplearning4j.nn.layers.samediff.SameDiffLayer {

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private FusedLstmLayer lstm() {
            return (FusedLstmLayer) layerConf();
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            applyDropOutIfNecessary(training, workspaceMgr);
            lstm().validateInput(input);
            INDArray out;
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                out = new Pass().forward();
            }
            return workspaceMgr.dup(ArrayType.ACTIVATIONS, out);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            lstm().validateInput(input);
            INDArray epsOut;
            Gradient g = new DefaultGradient();
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                epsOut = new Pass().backward(epsilon);
                for (String key : paramTable.keySet()) {
                    g.gradientForVariable().put(key, gradTable.get(key));
                }
            }
            return new Pair<>(g, backpropDropOutIfPresent(workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, epsOut)));
        }

        /** The op arguments for the current input and mask. */
        private final class Pass {
            final DataType dt = paramTable.get(WEIGHT_KEY).dataType();
            final long mb = input.size(0);
            final long steps = input.size(2);
            final long nIn = input.size(1);
            final long n = lstm().getNOut();
            final boolean seq = lstm().isReturnSequence();
            final INDArray w = paramTable.get(WEIGHT_KEY);
            final INDArray rw = paramTable.get(RECURRENT_WEIGHT_KEY);
            final INDArray b = paramTable.get(BIAS_KEY).reshape(4 * n);
            /** Per-example lengths of a right-padded mask; null = every step is real. */
            final int[] lengths = rightPaddedLengths(maskArray, mb, steps);
            /** Input in TNS [T, mb, nIn]. */
            final INDArray x = input.castTo(dt).permute(2, 0, 1).dup('c');

            /**
             * [T, mb]: with returnSequence the mask (transposed); otherwise 1 at each example's last real step.
             * Only built when there is a mask.
             */
            INDArray stepWeights() {
                INDArray m = Nd4j.zeros(dt, steps, mb);
                for (int i = 0; i < mb; i++) {
                    if (seq) {
                        if (lengths[i] > 0) {
                            m.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, lengths[i]),
                                    org.nd4j.linalg.indexing.NDArrayIndex.point(i)).assign(1);
                        }
                    } else if (lengths[i] > 0) {
                        m.putScalar(lengths[i] - 1, i, 1.0);
                    }
                }
                return m;
            }

            INDArray forward() {
                boolean fullSeq = seq || lengths != null;
                INDArray out = fullSeq ? Nd4j.create(dt, steps, mb, n) : Nd4j.create(dt, mb, n);
                DynamicCustomOp op = DynamicCustomOp.builder("lstmLayer")
                        .addInputs(x, w, rw, b)
                        .addOutputs(out)
                        .addIntegerArguments(FORMAT_TNS, DIRECTION_FWD, ACT_SIGMOID, ACT_TANH, ACT_TANH)
                        // hasBiases, hasSeqLen, hasInitH, hasInitC, hasPeepholes, retFullSeq, retLastH, retLastC
                        .addBooleanArguments(true, false, false, false, false, fullSeq, !fullSeq, false)
                        .addFloatingPointArguments(0.0)                               // cell clip: none
                        .build();
                Nd4j.exec(op);
                if (!fullSeq) {
                    return out;                                                       // [mb, n]
                }
                if (lengths != null) {
                    Broadcast.mul(out, stepWeights(), out, 0, 1);
                }
                if (!seq) {
                    return out.sum(0);                                                // h at each last real step
                }
                return out.permute(1, 2, 0).dup('c');                                 // NCW [mb, n, T]
            }

            /** Writes the parameter gradients into the layer's gradient views, returns dL/dInput (NCW). */
            INDArray backward(INDArray epsilon) {
                INDArray eps = epsilon.castTo(dt);
                boolean fullSeq = seq || lengths != null;
                INDArray dLdh;
                if (seq) {
                    dLdh = eps.permute(2, 0, 1).dup('c');                            // [T, mb, n]
                    if (lengths != null) {
                        Broadcast.mul(dLdh, stepWeights(), dLdh, 0, 1);
                    }
                } else if (lengths != null) {
                    dLdh = Nd4j.zeros(dt, steps, mb, n);
                    Broadcast.add(dLdh, eps, dLdh, 1, 2);                             // eps at every step
                    Broadcast.mul(dLdh, stepWeights(), dLdh, 0, 1);                   // ... kept at the last real one
                } else {
                    dLdh = eps;                                                       // [mb, n] at the last step
                }
                INDArray dx = Nd4j.create(dt, steps, mb, nIn);
                INDArray dw = Nd4j.create(dt, nIn, 4 * n);
                INDArray drw = Nd4j.create(dt, n, 4 * n);
                INDArray db = Nd4j.create(dt, 4 * n);
                DynamicCustomOp op = DynamicCustomOp.builder("lstmLayer_bp")
                        .addInputs(x, w, rw, b, dLdh)
                        .addOutputs(dx, dw, drw, db)
                        .addIntegerArguments(FORMAT_TNS, DIRECTION_FWD, ACT_SIGMOID, ACT_TANH, ACT_TANH)
                        // as forward; retFullSeq / retLastH say which output gradient is given
                        .addBooleanArguments(true, false, false, false, false, fullSeq, !fullSeq, false)
                        .addFloatingPointArguments(0.0)
                        .build();
                Nd4j.exec(op);
                gradTable.get(WEIGHT_KEY).assign(dw);
                gradTable.get(RECURRENT_WEIGHT_KEY).assign(drw);
                gradTable.get(BIAS_KEY).assign(db.reshape(gradTable.get(BIAS_KEY).shape()));
                return dx.permute(1, 2, 0).dup('c').castTo(input.dataType());       // NCW [mb, nIn, T]
            }
        }
    }
}
