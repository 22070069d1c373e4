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
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * An LSTM layer for a {@link org.deeplearning4j.nn.multilayer.MultiLayerNetwork} with a hand-written forward and
 * backward pass: the matrix products are a few large BLAS gemms (OpenBLAS's {@code cblas_sgemm}, which ND4J's own
 * CPU gemm calls; the input products of all steps in one, one recurrent product per step, the weight gradients of all
 * steps in one each), the element-wise gate math runs in Java loops over whole step blocks, and the training forward
 * pass keeps its gates and states for the backward pass. DL4J's {@code LSTM} layer
 * issues several ND4J operations per time step from Java (the per-operation overhead that makes it slow for small
 * minibatches, shared/BENCHMARKS.md section 3); libnd4j's fused {@code lstmLayer} / {@code lstmLayer_bp} ops, which
 * this layer ran before (still available, {@link Impl#setUseLibnd4jOps}), recompute the forward pass in the backward
 * op and allocate temporaries per step. Configured like
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
 * history) and 0 after; any other mask is rejected with an exception naming the row. The whole minibatch runs over
 * all T steps (per-example lengths would turn the products into one example at a time, as libnd4j's seqLen mode
 * does): the recurrence is causal, so the state at step L<sub>i</sub> − 1 does not depend on the padded steps after
 * it, and
 * <ul>
 *   <li>{@code returnSequence = false}: the output [mb, nOut] is h at each example's last real step (L<sub>i</sub> −
 *       1), selected from the full sequence; without a mask, or with a mask of ones, the last step's h. An example with L<sub>i</sub> = 0 gets h = 0. The mask is consumed. This is what DL4J's
 *       {@code LastTimeStep(LSTM)} gives.</li>
 *   <li>{@code returnSequence = true}: the output [mb, nOut, T] holds h<sub>t</sub> at real steps and 0 at padded ones
 *       (DL4J's LSTM convention, and what libnd4j's seqLen mode returns); the mask is passed on, so layers stack.</li>
 * </ul>
 * The backward pass starts from a zero output gradient at padded steps, so nothing flows through them: parameter
 * gradients are those of the unpadded prefixes and the input gradient is 0 at padded steps.
 *
 * <h2>Implementation path</h2>
 * As for {@link GruLayer}, the configuration is a {@link SameDiffLayer} (parameters, initialisation, JSON, shapes)
 * and {@link #instantiate} returns {@link Impl}, which runs the passes itself; SameDiff's automatic differentiation
 * is not used (it is wrong for recurrent graphs in ND4J 1.0.0-M2, see {@link GruLayer}). {@link #defineLayer} gives
 * the same forward pass as an unrolled SameDiff graph, used by the tests as a cross-check. Internally the data is TNS:
 * row t·mb + r of [T·mb, ·] arrays is example r at step t, so a step is a contiguous block of rows and the input is
 * permuted once per pass. Forward: Z = X·W for all steps (one gemm), then per step Z<sub>t</sub> +=
 * h<sub>t−1</sub>·RW (gemm with beta = 1 into the step's row block), and in Java: copy the block, add b, the gates, c
 * and h, and write h<sub>t</sub> back for the next product. Backward, per step: the gate gradients dZ<sub>t</sub> in
 * Java and dh<sub>t−1</sub> = dZ<sub>t</sub>·RW<sup>T</sup> (one gemm); then dW = X<sup>T</sup>·dZ, dRW =
 * H<sub>prev</sub><sup>T</sup>·dZ, dX = dZ·W<sup>T</sup> (one gemm each over all steps), db = column sums of dZ
 * (summed in Java). The gemms are direct {@code cblas_sgemm} / {@code cblas_dgemm} calls on preallocated arrays (an
 * ND4J {@code Nd4j.gemm} costs about 10 µs more per call, which counts with 24 small products per pass). The Java
 * loops run over whole step blocks of separate arrays with one index, which the JIT vectorises: FLOAT computes in
 * float with a rational approximation of tanh (Eigen's, absolute error about 3e-7) and σ(x) = (1 + tanh(x/2)) / 2;
 * DOUBLE in double with {@code Math.exp} and {@code Math.tanh}. The arrays are allocated once per minibatch shape and
 * reused; the backward pass reuses the forward state when it gets the same input and mask object as the last training
 * forward pass, else it recomputes it. Other data types use libnd4j's ops.
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
    protected NcwRuntime newRuntime(NeuralNetConfiguration conf, DataType networkDataType) {
        return new Impl(conf, networkDataType);
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
     * The runtime layer: DL4J's SameDiff layer (parameter and gradient views, mask bookkeeping) with a hand-written
     * forward and backward pass ({@link BlasPass}): the matrix products are BLAS gemms on preallocated arrays, the
     * element-wise gate math runs in Java loops over whole step blocks ({@link Cells}), and a training forward pass
     * keeps its gates and states for the backward pass. {@link #setUseLibnd4jOps} switches to libnd4j's fused
     * {@code lstmLayer} / {@code lstmLayer_bp} ops instead (the tests' and the benchmark's cross-check; also used for
     * data types other than FLOAT and DOUBLE).
     */
    public static class Impl extends NcwRuntime {

        private boolean useLibnd4jOps;
        /** The last training forward pass, for the backward pass on the same input and mask; else null. */
        private BlasPass cached;

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** true: run libnd4j's {@code lstmLayer} / {@code lstmLayer_bp} ops (the previous implementation). */
        public void setUseLibnd4jOps(boolean useLibnd4jOps) {
            this.useLibnd4jOps = useLibnd4jOps;
            this.cached = null;
        }

        public boolean isUseLibnd4jOps() {
            return useLibnd4jOps;
        }

        private FusedLstmLayer lstm() {
            return (FusedLstmLayer) layerConf();
        }

        private boolean blas() {
            DataType dt = paramTable.get(WEIGHT_KEY).dataType();
            return !useLibnd4jOps && (dt == DataType.FLOAT || dt == DataType.DOUBLE);
        }

        @Override
        protected void validate() {
            lstm().validateInput(input);
        }

        @Override
        protected INDArray forward(boolean training) {
            cached = null;
            if (!blas()) {
                return new OpPass().forward();
            }
            BlasPass pass = new BlasPass();
            INDArray out = pass.forward();
            if (training) {
                cached = pass;
            }
            return out;
        }

        @Override
        protected INDArray backward(INDArray epsilon) {
            if (!blas()) {
                return new OpPass().backward(epsilon);
            }
            BlasPass pass = cached != null && cached.in == input && cached.mask == maskArray ? cached : null;
            cached = null;
            if (pass == null) {
                pass = new BlasPass();
                pass.forward();
            }
            return pass.backward(epsilon);
        }

        @Override
        public void clear() {
            super.clear();
            cached = null;
        }

        /**
         * One forward (and backward) pass with BLAS products and Java element-wise loops, in TNS row blocks: row
         * t·mb + r of the [T·mb, ·] arrays is example r at step t. The products are {@code cblas_sgemm} /
         * {@code cblas_dgemm} calls on the preallocated arrays of {@link Scratch} (the OpenBLAS that ND4J's own CPU
         * gemm calls); the gate math runs in {@link Cells} on Java arrays, one step block at a time, and keeps the
         * gate activations [i|f|g|o], c and tanh(c) for the backward pass.
         */
        private final class BlasPass {
            final INDArray in = input;
            final INDArray mask = maskArray;
            final DataType dt = paramTable.get(WEIGHT_KEY).dataType();
            final int mb = (int) input.size(0);
            final int steps = (int) input.size(2);
            final int nIn = (int) input.size(1);
            final int n = (int) lstm().getNOut();
            final boolean seq = lstm().isReturnSequence();
            /** Per-example lengths of a right-padded mask; null = every step is real. */
            final int[] lengths = rightPaddedLengths(maskArray, mb, steps);
            final Scratch s = scratch(dt, mb, steps, nIn, n);
            final INDArray h = s.h;

            private INDArray rows(INDArray a, long fromBlock, long toBlock) {
                return a.get(NDArrayIndex.interval(fromBlock * mb, toBlock * mb), NDArrayIndex.all());
            }

            INDArray forward() {
                int n4 = 4 * n;
                s.x.reshape('c', steps, mb, nIn).assign(input.castTo(dt).permute(2, 0, 1));     // TNS
                s.w.assign(paramTable.get(WEIGHT_KEY));
                s.rw.assign(paramTable.get(RECURRENT_WEIGHT_KEY));
                s.b.assign(paramTable.get(BIAS_KEY).reshape(1, n4));
                s.cells.loadBias();
                s.gemm(false, false, steps * mb, n4, nIn, s.xP, nIn, s.wP, n4, 0.0, s.zStep[0], n4);  // X·W
                for (int t = 0; t < steps; t++) {
                    if (t > 0) {
                        s.gemm(false, false, mb, n4, n, s.hStep[t], n, s.rwP, n4, 1.0, s.zStep[t], n4); // + h_{t-1}·RW
                    }
                    s.cells.forwardStep(t);                                            // + b, gates, c, h_t
                }
                if (seq) {
                    INDArray out = rows(h, 1, steps + 1).reshape('c', steps, mb, n).permute(1, 2, 0).dup('c');
                    if (lengths != null) {                                             // zero the padded steps
                        Buf ob = Buf.of(out);
                        for (int r = 0; r < mb; r++) {
                            for (int j = 0; j < n; j++) {
                                int base = (r * n + j) * steps;
                                for (int t = lengths[r]; t < steps; t++) {
                                    ob.set(base + t, 0.0);
                                }
                            }
                        }
                    }
                    return out;                                                        // NCW [mb, n, T]
                }
                if (lengths == null) {
                    return rows(h, steps, steps + 1).dup('c');                          // [mb, n]
                }
                INDArray out = Nd4j.zeros(dt, mb, n);                                  // h at each last real step
                Buf ob = Buf.of(out);
                Buf hb = Buf.of(h);
                for (int r = 0; r < mb; r++) {
                    int src = (lengths[r] * mb + r) * n;                               // block lengths[r] = h_{L-1}
                    for (int j = 0; lengths[r] > 0 && j < n; j++) {
                        ob.set(r * n + j, hb.get(src + j));
                    }
                }
                return out;
            }

            /** Writes the parameter gradients into the layer's gradient views, returns dL/dInput (NCW). */
            INDArray backward(INDArray epsilon) {
                int n4 = 4 * n;
                INDArray eps = epsilon.castTo(dt);
                if (seq) {
                    s.cells.loadOutputGradient(eps.permute(2, 0, 1).dup('c'), true, lengths);   // [T, mb, n]
                } else {
                    s.cells.loadOutputGradient(isDense(eps) ? eps : eps.dup('c'), false, lengths);      // [mb, n]
                }
                for (int t = steps - 1; t >= 0; t--) {
                    s.cells.backwardStep(t);                                           // dZ_t from dh_t, dc_t
                    if (t > 0) {
                        s.gemm(false, true, mb, n, n4, s.dzStep[t], n4, s.rwP, n4, 0.0, s.dhRecP, n); // dZ_t·RW^T
                    }
                }
                int rows = steps * mb;
                s.gemm(true, false, nIn, n4, rows, s.xP, nIn, s.dzStep[0], n4, 0.0, s.dwP, n4);      // X^T·dZ
                s.gemm(true, false, n, n4, rows, s.hStep[0], n, s.dzStep[0], n4, 0.0, s.drwP, n4);  // H_prev^T·dZ
                s.cells.storeBiasGradient();
                gradTable.get(WEIGHT_KEY).assign(s.dw);
                gradTable.get(RECURRENT_WEIGHT_KEY).assign(s.drw);
                gradTable.get(BIAS_KEY).assign(s.db.reshape(gradTable.get(BIAS_KEY).shape()));
                s.gemm(false, true, rows, nIn, n4, s.dzStep[0], n4, s.wP, n4, 0.0, s.dxP, nIn);       // dZ·W^T
                return s.dx.reshape('c', steps, mb, nIn).permute(1, 2, 0).dup('c').castTo(input.dataType());
            }
        }

        /**
         * Arrays for {@link BlasPass}, reused while the minibatch shape stays the same: the last two shapes are kept,
         * so that an epoch whose last minibatch is smaller (or a validation minibatch of another size) does not
         * rebuild the arrays of the full minibatches twice per epoch.
         */
        private Scratch scratch;
        private Scratch previousScratch;
        /** How many times any layer built its {@link Scratch} arrays (tests). */
        static final java.util.concurrent.atomic.AtomicLong SCRATCHES_BUILT = new java.util.concurrent.atomic.AtomicLong();

        private Scratch scratch(DataType dt, int mb, int steps, int nIn, int n) {
            Scratch s = scratch;
            if (s != null && s.fits(dt, mb, steps, nIn, n)) {
                return s;
            }
            Scratch p = previousScratch;
            if (p != null && p.fits(dt, mb, steps, nIn, n)) {
                previousScratch = s;
                scratch = p;
                return p;
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                p = new Scratch(dt, mb, steps, nIn, n);
            }
            SCRATCHES_BUILT.incrementAndGet();
            previousScratch = s;
            scratch = p;
            return p;
        }

        /**
         * Preallocated ND4J arrays for the BLAS products, [T·mb, ·] with row t·mb + r = example r at step t: input,
         * gate pre-activations, h ([(T+1)·mb, n], block 0 = h_{-1} = 0), gate gradients dZ, dL/dh_{t-1} through the
         * recurrence, copies of W, RW, b, and the gradient and dL/dX outputs; with their BLAS pointers (per step block
         * where the products work on one step) and the Java-array side ({@link Cells}).
         */
        private static final class Scratch {
            final DataType dt;
            final int mb;
            final int steps;
            final int nIn;
            final int n;
            final INDArray x;
            final INDArray z;
            final INDArray h;
            final INDArray dz;
            final INDArray dhRec;
            final INDArray w;
            final INDArray rw;
            final INDArray b;
            final INDArray dw;
            final INDArray drw;
            final INDArray db;
            final INDArray dx;
            final Pointer xP;
            final Pointer wP;
            final Pointer rwP;
            final Pointer dwP;
            final Pointer drwP;
            final Pointer dxP;
            final Pointer dhRecP;
            /** h block t (= h_{t-1}), z and dZ block t; block 0 of each is also the whole array. */
            final Pointer[] hStep;
            final Pointer[] zStep;
            final Pointer[] dzStep;
            final Cells cells;

            boolean fits(DataType dt, int mb, int steps, int nIn, int n) {
                return this.dt == dt && this.mb == mb && this.steps == steps && this.nIn == nIn && this.n == n;
            }

            Scratch(DataType dt, int mb, int steps, int nIn, int n) {
                this.dt = dt;
                this.mb = mb;
                this.steps = steps;
                this.nIn = nIn;
                this.n = n;
                long rows = (long) steps * mb;
                if ((rows + mb) * 4L * n > Integer.MAX_VALUE) {
                    throw new IllegalStateException("FusedLstmLayer: minibatch x steps x 4·nOut = " + rows + " x "
                            + 4L * n + " is too large for one pass");
                }
                x = Nd4j.create(dt, rows, nIn);
                z = Nd4j.create(dt, rows, 4L * n);
                h = Nd4j.zeros(dt, rows + mb, n);
                dz = Nd4j.create(dt, rows, 4L * n);
                dhRec = Nd4j.zeros(dt, mb, n);
                w = Nd4j.create(dt, nIn, 4L * n);
                rw = Nd4j.create(dt, n, 4L * n);
                b = Nd4j.create(dt, 1, 4L * n);
                dw = Nd4j.create(dt, nIn, 4L * n);
                drw = Nd4j.create(dt, n, 4L * n);
                db = Nd4j.create(dt, 1, 4L * n);
                dx = Nd4j.create(dt, rows, nIn);
                xP = pointer(x, 0);
                wP = pointer(w, 0);
                rwP = pointer(rw, 0);
                dwP = pointer(dw, 0);
                drwP = pointer(drw, 0);
                dxP = pointer(dx, 0);
                dhRecP = pointer(dhRec, 0);
                hStep = new Pointer[steps];
                zStep = new Pointer[steps];
                dzStep = new Pointer[steps];
                for (int t = 0; t < steps; t++) {
                    hStep[t] = pointer(h, (long) t * mb * n);
                    zStep[t] = pointer(z, (long) t * mb * 4 * n);
                    dzStep[t] = pointer(dz, (long) t * mb * 4 * n);
                }
                cells = dt == DataType.DOUBLE ? new DoubleCells(this) : new FloatCells(this);
            }

            /** A BLAS pointer to element {@code offset} of a dense c-order array (checked by {@link #nio}). */
            private static Pointer pointer(INDArray a, long offset) {
                nio(a);
                Pointer base = a.data().addressPointer();
                Pointer p = a.dataType() == DataType.DOUBLE ? new DoublePointer(base) : new FloatPointer(base);
                return p.position(p.position() + offset);
            }

            /** Row-major C = op(A)·op(B) + beta·C, op(A) [m, k], op(B) [k, nCols]; lda etc. as in CBLAS. */
            void gemm(boolean transA, boolean transB, int m, int nCols, int k, Pointer a, int lda, Pointer bm, int ldb,
                      double beta, Pointer c, int ldc) {
                int ta = transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
                int tb = transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
                if (dt == DataType.DOUBLE) {
                    openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, ta, tb, m, nCols, k, 1.0,
                            (DoublePointer) a, lda, (DoublePointer) bm, ldb, beta, (DoublePointer) c, ldc);
                } else {
                    openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, ta, tb, m, nCols, k, 1.0f,
                            (FloatPointer) a, lda, (FloatPointer) bm, ldb, (float) beta, (FloatPointer) c, ldc);
                }
            }
        }

        /** Dense c-order at offset 0 (what {@link #nio} requires). */
        private static boolean isDense(INDArray a) {
            long[] shape = a.shape();
            long[] strides = a.stride();
            long expected = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (shape[d] > 1 && strides[d] != expected) {
                    return false;
                }
                expected *= shape[d];
            }
            return a.offset() == 0;
        }

        /** The direct buffer of a dense c-order array at offset 0, in native byte order. */
        private static java.nio.ByteBuffer nio(INDArray a) {
            long[] shape = a.shape();
            long[] strides = a.stride();
            long expected = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (shape[d] > 1 && strides[d] != expected) {
                    throw new IllegalStateException("FusedLstmLayer: internal array must be dense c-order");
                }
                expected *= shape[d];
            }
            if (a.offset() != 0) {
                throw new IllegalStateException("FusedLstmLayer: internal array must start at offset 0");
            }
            return a.data().asNio().order(java.nio.ByteOrder.nativeOrder());
        }

        /**
         * The element-wise side of a pass, on Java arrays (one per data type: {@link FloatCells} computes in float
         * with vectorisable rational approximations of tanh and the sigmoid, {@link DoubleCells} in double with
         * {@code Math.exp} and {@code Math.tanh}). Step by step it copies a block of gate pre-activations from the
         * ND4J array, adds the bias and applies the gates, and writes h_t back for the next recurrent product; it keeps
         * the gate activations [i|f|g|o], c and tanh(c) of every step for the backward pass, which writes dZ_t back
         * for its products and sums the bias gradient.
         */
        private abstract static class Cells {
            final int mb;
            final int steps;
            final int n;
            /** Per example: the step whose output gets the layer's output gradient (last-step output), or -1. */
            final int[] last;
            boolean seqGradient;

            Cells(Scratch s) {
                this.mb = s.mb;
                this.steps = s.steps;
                this.n = s.n;
                this.last = new int[mb];
            }

            abstract void loadBias();

            abstract void forwardStep(int t);

            /**
             * The output gradient: [T, mb, n] c-order with returnSequence (zeroed at padded steps here), else [mb, n],
             * given at each example's last real step.
             */
            final void loadOutputGradient(INDArray e, boolean seq, int[] lengths) {
                seqGradient = seq;
                for (int r = 0; r < mb; r++) {
                    last[r] = seq ? -1 : lengths == null ? steps - 1 : lengths[r] - 1;
                }
                load(e, seq ? steps * mb * n : mb * n);
                if (seq && lengths != null) {
                    for (int r = 0; r < mb; r++) {
                        for (int t = lengths[r]; t < steps; t++) {
                            zeroOutputGradient((t * mb + r) * n, n);
                        }
                    }
                }
            }

            abstract void load(INDArray e, int length);

            abstract void zeroOutputGradient(int from, int length);

            abstract void backwardStep(int t);

            abstract void storeBiasGradient();
        }

        /**
         * {@link Cells} in float; tanh is a [13/6] rational approximation, σ(x) = (1 + tanh(x/2)) / 2. Every loop
         * runs over whole step blocks of separate arrays with one index (the form the JIT vectorises): the gate
         * pre-activations of step t are copied into {@code zt} [mb, 4n], activated in place, split into one array per
         * gate [mb, n], and the cell update runs on those.
         */
        private static final class FloatCells extends Cells {
            private final java.nio.FloatBuffer zb;
            private final java.nio.FloatBuffer hb;
            private final java.nio.FloatBuffer dzb;
            private final java.nio.FloatBuffer dhb;
            private final java.nio.FloatBuffer bb;
            private final java.nio.FloatBuffer dbb;
            /** The bias repeated for every row of a step block [mb, 4n]. */
            private final float[] biasBlock;
            /** Per column of a step block: 0.5 for the sigmoid gates i, f, o, 1 for g (σ(x) = tanh(x/2)/2 + 1/2). */
            private final float[] scale;
            private final float[] shift;
            /** Gate activations [i|f|g|o] per row, c and tanh(c), every step (block t at t·mb·4n, t·mb·n). */
            private final float[] gAll;
            private final float[] cAll;
            private final float[] tcAll;
            private final float[] zt;
            private final float[] gi;
            private final float[] gf;
            private final float[] gg;
            private final float[] go;
            private final float[] cPrev;
            private final float[] cNew;
            private final float[] tc;
            private final float[] hRow;
            private final float[] zeroRow;
            private final float[] dh;
            private final float[] dcNext;
            private final float[] di;
            private final float[] df;
            private final float[] dg;
            private final float[] dO;
            private final float[] dzRow;
            /** Bias gradient per row of a step block, summed over the rows at the end. */
            private final float[] dbBlock;
            private final float[] db;
            private float[] e = new float[0];

            FloatCells(Scratch s) {
                super(s);
                zb = nio(s.z).asFloatBuffer();
                hb = nio(s.h).asFloatBuffer();
                dzb = nio(s.dz).asFloatBuffer();
                dhb = nio(s.dhRec).asFloatBuffer();
                bb = nio(s.b).asFloatBuffer();
                dbb = nio(s.db).asFloatBuffer();
                int rows = steps * mb;
                int blk = mb * 4 * n;
                int nb = mb * n;
                biasBlock = new float[blk];
                scale = new float[blk];
                shift = new float[blk];
                for (int k = 0; k < blk; k++) {
                    boolean isG = k % (4 * n) >= 2 * n && k % (4 * n) < 3 * n;
                    scale[k] = isG ? 1f : 0.5f;
                    shift[k] = isG ? 0f : 0.5f;
                }
                gAll = new float[rows * 4 * n];
                cAll = new float[rows * n];
                tcAll = new float[rows * n];
                zt = new float[blk];
                gi = new float[nb];
                gf = new float[nb];
                gg = new float[nb];
                go = new float[nb];
                cPrev = new float[nb];
                cNew = new float[nb];
                tc = new float[nb];
                hRow = new float[nb];
                zeroRow = new float[nb];
                dh = new float[nb];
                dcNext = new float[nb];
                di = new float[nb];
                df = new float[nb];
                dg = new float[nb];
                dO = new float[nb];
                dzRow = new float[blk];
                dbBlock = new float[blk];
                db = new float[4 * n];
            }

            /**
             * tanh(x) as Eigen's {@code generic_fast_tanh_float}: a [13/6] rational function on x clamped to ±7.905
             * (beyond which tanh rounds to ±1 in float); max absolute error about 3e-7 (a few float ulps). Plain float
             * arithmetic that the JIT vectorises in the loops below.
             */
            static float tanh(float v) {
                float x = Math.max(-7.90531110763549805f, Math.min(7.90531110763549805f, v));
                float x2 = x * x;
                float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
                p = p * x2 + -8.60467152213735e-11f;
                p = p * x2 + 5.12229709037114e-08f;
                p = p * x2 + 1.48572235717979e-05f;
                p = p * x2 + 6.37261928875436e-04f;
                p = p * x2 + 4.89352455891786e-03f;
                float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
                q = q * x2 + 2.26843463243900e-03f;
                q = q * x2 + 4.89352518554385e-03f;
                return x * p / q;
            }

            @Override
            void loadBias() {
                int n4 = 4 * n;
                bb.get(0, biasBlock, 0, n4);
                for (int r = 1; r < mb; r++) {
                    System.arraycopy(biasBlock, 0, biasBlock, r * n4, n4);
                }
            }

            /** Splits a step block [mb, 4n] into the gate arrays [mb, n] (or back with {@code join}). */
            private void split(float[] blk, float[] a, float[] b, float[] c, float[] d) {
                int n4 = 4 * n;
                for (int r = 0; r < mb; r++) {
                    System.arraycopy(blk, r * n4, a, r * n, n);
                    System.arraycopy(blk, r * n4 + n, b, r * n, n);
                    System.arraycopy(blk, r * n4 + 2 * n, c, r * n, n);
                    System.arraycopy(blk, r * n4 + 3 * n, d, r * n, n);
                }
            }

            private void join(float[] a, float[] b, float[] c, float[] d, float[] blk) {
                int n4 = 4 * n;
                for (int r = 0; r < mb; r++) {
                    System.arraycopy(a, r * n, blk, r * n4, n);
                    System.arraycopy(b, r * n, blk, r * n4 + n, n);
                    System.arraycopy(c, r * n, blk, r * n4 + 2 * n, n);
                    System.arraycopy(d, r * n, blk, r * n4 + 3 * n, n);
                }
            }

            @Override
            void forwardStep(int t) {
                int blk = mb * 4 * n;
                int nb = mb * n;
                zb.get(t * blk, zt, 0, blk);
                for (int k = 0; k < blk; k++) {                                        // σ for i, f, o; tanh for g
                    zt[k] = tanh((zt[k] + biasBlock[k]) * scale[k]) * scale[k] + shift[k];
                }
                System.arraycopy(zt, 0, gAll, t * blk, blk);
                split(zt, gi, gf, gg, go);
                if (t == 0) {
                    System.arraycopy(zeroRow, 0, cPrev, 0, nb);
                }
                for (int k = 0; k < nb; k++) {
                    cNew[k] = gf[k] * cPrev[k] + gi[k] * gg[k];
                }
                for (int k = 0; k < nb; k++) {
                    float v = tanh(cNew[k]);
                    tc[k] = v;
                    hRow[k] = go[k] * v;
                }
                System.arraycopy(cNew, 0, cAll, t * nb, nb);
                System.arraycopy(tc, 0, tcAll, t * nb, nb);
                System.arraycopy(cNew, 0, cPrev, 0, nb);
                hb.put((t + 1) * nb, hRow, 0, nb);
            }

            @Override
            void load(INDArray a, int length) {
                if (e.length < length) {
                    e = new float[length];
                }
                nio(a).asFloatBuffer().get(0, e, 0, length);
                java.util.Arrays.fill(dcNext, 0f);
                java.util.Arrays.fill(dbBlock, 0f);
            }

            @Override
            void zeroOutputGradient(int from, int length) {
                java.util.Arrays.fill(e, from, from + length, 0f);
            }

            @Override
            void backwardStep(int t) {
                int blk = mb * 4 * n;
                int nb = mb * n;
                if (t < steps - 1) {
                    dhb.get(0, dh, 0, nb);                                             // dZ_{t+1}·RW^T
                } else {
                    java.util.Arrays.fill(dh, 0f);
                }
                if (seqGradient) {
                    int eo = t * nb;
                    for (int k = 0; k < nb; k++) {
                        dh[k] += e[eo + k];
                    }
                } else {
                    for (int r = 0; r < mb; r++) {
                        if (last[r] == t) {
                            for (int j = 0; j < n; j++) {
                                dh[r * n + j] += e[r * n + j];
                            }
                        }
                    }
                }
                System.arraycopy(gAll, t * blk, zt, 0, blk);
                split(zt, gi, gf, gg, go);
                System.arraycopy(tcAll, t * nb, tc, 0, nb);
                System.arraycopy(t > 0 ? cAll : zeroRow, t > 0 ? (t - 1) * nb : 0, cPrev, 0, nb);
                for (int k = 0; k < nb; k++) {
                    float i = gi[k];
                    float f = gf[k];
                    float g = gg[k];
                    float o = go[k];
                    float tcc = tc[k];
                    float d = dh[k];
                    float dc = d * o * (1 - tcc * tcc) + dcNext[k];
                    di[k] = dc * g * i * (1 - i);
                    df[k] = dc * cPrev[k] * f * (1 - f);
                    dg[k] = dc * i * (1 - g * g);
                    dO[k] = d * tcc * o * (1 - o);
                    dcNext[k] = dc * f;
                }
                join(di, df, dg, dO, dzRow);
                for (int k = 0; k < blk; k++) {
                    dbBlock[k] += dzRow[k];
                }
                dzb.put(t * blk, dzRow, 0, blk);
            }

            @Override
            void storeBiasGradient() {
                int n4 = 4 * n;
                java.util.Arrays.fill(db, 0f);
                for (int r = 0; r < mb; r++) {
                    for (int k = 0; k < n4; k++) {
                        db[k] += dbBlock[r * n4 + k];
                    }
                }
                dbb.put(0, db, 0, n4);
            }
        }

        /**
         * {@link Cells} in double, the same loops as {@link FloatCells} with {@code Math.exp} and {@code Math.tanh}
         * (the precision of the gradient checks and of the comparison with DL4J's LSTM).
         */
        private static final class DoubleCells extends Cells {
            private final java.nio.DoubleBuffer zb;
            private final java.nio.DoubleBuffer hb;
            private final java.nio.DoubleBuffer dzb;
            private final java.nio.DoubleBuffer dhb;
            private final java.nio.DoubleBuffer bb;
            private final java.nio.DoubleBuffer dbb;
            /** The bias repeated for every row of a step block [mb, 4n]. */
            private final double[] biasBlock;
            /** Per column of a step block: 1 for g (tanh), 0.5 for the sigmoid gates i, f, o. */
            private final double[] scale;
            /** Gate activations [i|f|g|o] per row, c and tanh(c), every step (block t at t·mb·4n, t·mb·n). */
            private final double[] gAll;
            private final double[] cAll;
            private final double[] tcAll;
            private final double[] zt;
            private final double[] gi;
            private final double[] gf;
            private final double[] gg;
            private final double[] go;
            private final double[] cPrev;
            private final double[] cNew;
            private final double[] tc;
            private final double[] hRow;
            private final double[] zeroRow;
            private final double[] dh;
            private final double[] dcNext;
            private final double[] di;
            private final double[] df;
            private final double[] dg;
            private final double[] dO;
            private final double[] dzRow;
            /** Bias gradient per row of a step block, summed over the rows at the end. */
            private final double[] dbBlock;
            private final double[] db;
            private double[] e = new double[0];

            DoubleCells(Scratch s) {
                super(s);
                zb = nio(s.z).asDoubleBuffer();
                hb = nio(s.h).asDoubleBuffer();
                dzb = nio(s.dz).asDoubleBuffer();
                dhb = nio(s.dhRec).asDoubleBuffer();
                bb = nio(s.b).asDoubleBuffer();
                dbb = nio(s.db).asDoubleBuffer();
                int rows = steps * mb;
                int blk = mb * 4 * n;
                int nb = mb * n;
                biasBlock = new double[blk];
                scale = new double[blk];
                for (int k = 0; k < blk; k++) {
                    boolean isG = k % (4 * n) >= 2 * n && k % (4 * n) < 3 * n;
                    scale[k] = isG ? 1 : 0.5;
                }
                gAll = new double[rows * 4 * n];
                cAll = new double[rows * n];
                tcAll = new double[rows * n];
                zt = new double[blk];
                gi = new double[nb];
                gf = new double[nb];
                gg = new double[nb];
                go = new double[nb];
                cPrev = new double[nb];
                cNew = new double[nb];
                tc = new double[nb];
                hRow = new double[nb];
                zeroRow = new double[nb];
                dh = new double[nb];
                dcNext = new double[nb];
                di = new double[nb];
                df = new double[nb];
                dg = new double[nb];
                dO = new double[nb];
                dzRow = new double[blk];
                dbBlock = new double[blk];
                db = new double[4 * n];
            }

            @Override
            void loadBias() {
                int n4 = 4 * n;
                bb.get(0, biasBlock, 0, n4);
                for (int r = 1; r < mb; r++) {
                    System.arraycopy(biasBlock, 0, biasBlock, r * n4, n4);
                }
            }

            /** Splits a step block [mb, 4n] into the gate arrays [mb, n] (or back with {@code join}). */
            private void split(double[] blk, double[] a, double[] b, double[] c, double[] d) {
                int n4 = 4 * n;
                for (int r = 0; r < mb; r++) {
                    System.arraycopy(blk, r * n4, a, r * n, n);
                    System.arraycopy(blk, r * n4 + n, b, r * n, n);
                    System.arraycopy(blk, r * n4 + 2 * n, c, r * n, n);
                    System.arraycopy(blk, r * n4 + 3 * n, d, r * n, n);
                }
            }

            private void join(double[] a, double[] b, double[] c, double[] d, double[] blk) {
                int n4 = 4 * n;
                for (int r = 0; r < mb; r++) {
                    System.arraycopy(a, r * n, blk, r * n4, n);
                    System.arraycopy(b, r * n, blk, r * n4 + n, n);
                    System.arraycopy(c, r * n, blk, r * n4 + 2 * n, n);
                    System.arraycopy(d, r * n, blk, r * n4 + 3 * n, n);
                }
            }

            @Override
            void forwardStep(int t) {
                int blk = mb * 4 * n;
                int nb = mb * n;
                zb.get(t * blk, zt, 0, blk);
                for (int k = 0; k < blk; k++) {                                        // σ for i, f, o; tanh for g
                    double v = zt[k] + biasBlock[k];
                    zt[k] = scale[k] == 1 ? Math.tanh(v) : 1.0 / (1.0 + Math.exp(-v));
                }
                System.arraycopy(zt, 0, gAll, t * blk, blk);
                split(zt, gi, gf, gg, go);
                if (t == 0) {
                    System.arraycopy(zeroRow, 0, cPrev, 0, nb);
                }
                for (int k = 0; k < nb; k++) {
                    cNew[k] = gf[k] * cPrev[k] + gi[k] * gg[k];
                }
                for (int k = 0; k < nb; k++) {
                    double v = Math.tanh(cNew[k]);
                    tc[k] = v;
                    hRow[k] = go[k] * v;
                }
                System.arraycopy(cNew, 0, cAll, t * nb, nb);
                System.arraycopy(tc, 0, tcAll, t * nb, nb);
                System.arraycopy(cNew, 0, cPrev, 0, nb);
                hb.put((t + 1) * nb, hRow, 0, nb);
            }

            @Override
            void load(INDArray a, int length) {
                if (e.length < length) {
                    e = new double[length];
                }
                nio(a).asDoubleBuffer().get(0, e, 0, length);
                java.util.Arrays.fill(dcNext, 0);
                java.util.Arrays.fill(dbBlock, 0);
            }

            @Override
            void zeroOutputGradient(int from, int length) {
                java.util.Arrays.fill(e, from, from + length, 0);
            }

            @Override
            void backwardStep(int t) {
                int blk = mb * 4 * n;
                int nb = mb * n;
                if (t < steps - 1) {
                    dhb.get(0, dh, 0, nb);                                             // dZ_{t+1}·RW^T
                } else {
                    java.util.Arrays.fill(dh, 0);
                }
                if (seqGradient) {
                    int eo = t * nb;
                    for (int k = 0; k < nb; k++) {
                        dh[k] += e[eo + k];
                    }
                } else {
                    for (int r = 0; r < mb; r++) {
                        if (last[r] == t) {
                            for (int j = 0; j < n; j++) {
                                dh[r * n + j] += e[r * n + j];
                            }
                        }
                    }
                }
                System.arraycopy(gAll, t * blk, zt, 0, blk);
                split(zt, gi, gf, gg, go);
                System.arraycopy(tcAll, t * nb, tc, 0, nb);
                System.arraycopy(t > 0 ? cAll : zeroRow, t > 0 ? (t - 1) * nb : 0, cPrev, 0, nb);
                for (int k = 0; k < nb; k++) {
                    double i = gi[k];
                    double f = gf[k];
                    double g = gg[k];
                    double o = go[k];
                    double tcc = tc[k];
                    double d = dh[k];
                    double dc = d * o * (1 - tcc * tcc) + dcNext[k];
                    di[k] = dc * g * i * (1 - i);
                    df[k] = dc * cPrev[k] * f * (1 - f);
                    dg[k] = dc * i * (1 - g * g);
                    dO[k] = d * tcc * o * (1 - o);
                    dcNext[k] = dc * f;
                }
                join(di, df, dg, dO, dzRow);
                for (int k = 0; k < blk; k++) {
                    dbBlock[k] += dzRow[k];
                }
                dzb.put(t * blk, dzRow, 0, blk);
            }

            @Override
            void storeBiasGradient() {
                int n4 = 4 * n;
                java.util.Arrays.fill(db, 0);
                for (int r = 0; r < mb; r++) {
                    for (int k = 0; k < n4; k++) {
                        db[k] += dbBlock[r * n4 + k];
                    }
                }
                dbb.put(0, db, 0, n4);
            }
        }

        /** Element access to the direct buffer of a dense c-order FLOAT or DOUBLE array at offset 0. */
        private abstract static class Buf {
            static Buf of(INDArray a) {
                java.nio.ByteBuffer bb = nio(a);
                return a.dataType() == DataType.DOUBLE ? new D(bb.asDoubleBuffer()) : new F(bb.asFloatBuffer());
            }

            abstract double get(int i);

            abstract void set(int i, double v);
        }

        private static final class F extends Buf {
            private final java.nio.FloatBuffer b;

            F(java.nio.FloatBuffer b) {
                this.b = b;
            }

            @Override
            double get(int i) {
                return b.get(i);
            }

            @Override
            void set(int i, double v) {
                b.put(i, (float) v);
            }
        }

        private static final class D extends Buf {
            private final java.nio.DoubleBuffer b;

            D(java.nio.DoubleBuffer b) {
                this.b = b;
            }

            @Override
            double get(int i) {
                return b.get(i);
            }

            @Override
            void set(int i, double v) {
                b.put(i, v);
            }
        }

        /** The libnd4j op path ({@link #setUseLibnd4jOps}): the op arguments for the current input and mask. */
        private final class OpPass {
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
