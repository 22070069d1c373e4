package io.tsforge.model;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The linear forecasters of Zeng et al. (2023, "Are Transformers Effective for Time Series Forecasting?"): the whole
 * window [mb, F, L] (NCW, F features, L = lookback) is mapped to the horizon [mb, H] by linear maps, the target being
 * feature 0.
 * <pre>
 *   nlinear:  z = x - x[:, :, L-1]  (each feature minus its last value)
 *             out = flat(z) W + b + x[:, 0, L-1]                          W [F L, H], b [1, H]
 *   dlinear:  trend = moving average of x over {@link #MOVING_AVERAGE} steps (edge values repeated at both ends)
 *             out = flat(trend) Wt + flat(x - trend) Ws + b              Wt, Ws [F L, H], b [1, H]
 * </pre>
 * Masks: the weights are tied to positions, so a right-padded window (real steps first, the features mask [mb, L]
 * marking them) is first aligned: its real steps are moved to the end and the positions before them repeat the first
 * real value. What stands behind the mask never reaches the output; the mask is consumed. A window with no real step
 * is read as zeros.
 *
 * <p>Like {@link AttentionLayer}, a {@link org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer} for
 * configuration, parameters and JSON whose {@link Impl} computes the forward and backward passes directly with ND4J;
 * {@code LinearForecastLayerTest} checks them against a plain-Java forward pass and DL4J's gradient check.
 */
public class LinearForecastLayer extends NcwLayer {

    /** The two variants. */
    public enum Kind { NLINEAR, DLINEAR }

    /** DLinear's moving-average window (Zeng et al.'s setting), shortened to the largest odd size <= lookback. */
    public static final int MOVING_AVERAGE = 25;

    public static final String WEIGHT_KEY = "W";
    public static final String TREND_KEY = "Wt";
    public static final String SEASONAL_KEY = "Ws";
    public static final String BIAS_KEY = "b";

    private Kind kind;
    private long lookback;
    private long horizon;

    /** For JSON deserialisation. */
    protected LinearForecastLayer() {
    }

    public LinearForecastLayer(Kind kind, long nIn, long lookback, long horizon) {
        if (nIn < 0 || lookback < 1 || horizon < 1) {
            throw new IllegalArgumentException("LinearForecastLayer: need nIn >= 0 (0 = infer), lookback >= 1 and "
                    + "horizon >= 1, got " + nIn + ", " + lookback + ", " + horizon);
        }
        this.kind = Objects.requireNonNull(kind, "kind");
        this.nIn = nIn;
        this.lookback = lookback;
        this.horizon = horizon;
        this.weightInit = null;
    }

    /** The moving-average window used for {@code lookback} steps: 25, or the largest odd size not above it. */
    public static int movingAverage(long lookback) {
        int k = (int) Math.min(MOVING_AVERAGE, lookback);
        return k % 2 == 1 ? k : k - 1;
    }

    /** The [L, L] matrix A with trend = x A for one feature row x [1, L] (edge-replicated moving average). */
    static double[][] trendMatrix(int steps) {
        int k = movingAverage(steps);
        int half = (k - 1) / 2;
        double[][] a = new double[steps][steps];
        for (int t = 0; t < steps; t++) {
            for (int j = -half; j <= half; j++) {
                a[Math.max(0, Math.min(steps - 1, t + j))][t] += 1.0 / k;
            }
        }
        return a;
    }

    /** {@link #trendMatrix} as an ND4J array of type {@code dt}. */
    public static INDArray trendArray(DataType dt, int steps) {
        return Nd4j.create(trendMatrix(steps)).castTo(dt);
    }

    @Override
    protected NcwRuntime newRuntime(NeuralNetConfiguration conf, DataType networkDataType) {
        return new Impl(conf, networkDataType);
    }

    /** Not used: {@link #instantiate} supplies {@link Impl}, whose passes are computed directly. */
    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        throw new UnsupportedOperationException("LinearForecastLayer computes its passes in LinearForecastLayer.Impl");
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                          int minibatchSize) {
        return new Pair<>(null, null); // the output [mb, H] has no time axis
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.clear();
        if (kind == Kind.NLINEAR) {
            params.addWeightParam(WEIGHT_KEY, nIn * lookback, horizon);
        } else {
            params.addWeightParam(TREND_KEY, nIn * lookback, horizon);
            params.addWeightParam(SEASONAL_KEY, nIn * lookback, horizon);
        }
        params.addBiasParam(BIAS_KEY, 1, horizon);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            if (BIAS_KEY.equals(e.getKey())) {
                e.getValue().assign(0);
            } else {
                weightInitFor(e.getKey()).init(nIn * lookback, horizon, new long[]{nIn * lookback, horizon}, 'c',
                        e.getValue());
            }
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeRecurrent r = recurrent(inputType);
        if (r.getTimeSeriesLength() > 0 && r.getTimeSeriesLength() != lookback) {
            throw new IllegalStateException("LinearForecastLayer (" + getLayerName() + ") was built for lookback "
                    + lookback + " but its input has " + r.getTimeSeriesLength() + " steps");
        }
        return InputType.feedForward(horizon);
    }

    public Kind getKind() {
        return kind;
    }

    public void setKind(Kind kind) {
        this.kind = kind;
    }

    public long getLookback() {
        return lookback;
    }

    public void setLookback(long lookback) {
        this.lookback = lookback;
    }

    public long getHorizon() {
        return horizon;
    }

    public void setHorizon(long horizon) {
        this.horizon = horizon;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LinearForecastLayer a) || !super.equals(o)) {
            return false;
        }
        return nIn == a.nIn && kind == a.kind && lookback == a.lookback && horizon == a.horizon
                && Objects.equals(weightInitFn, a.weightInitFn);
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof LinearForecastLayer;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), kind, nIn, lookback, horizon, weightInitFn);
    }

    @Override
    public String toString() {
        return "LinearForecastLayer(name=" + getLayerName() + ", kind=" + kind + ", nIn=" + nIn + ", lookback="
                + lookback + ", horizon=" + horizon + ")";
    }

    /**
     * What the layer's linear maps read, for a minibatch: the aligned input and, for nlinear, each feature minus its
     * last value; for dlinear, trend and remainder. Also the design matrix of the least-squares problem the layer
     * solves ({@link RidgeFit}): the output is {@code design() [W; ...] + b + offset()}.
     */
    public static final class Features {
        final boolean nlinear;
        final long mb;
        final int features;
        final int steps;
        final int[][] source;   // aligned position t of example i reads input step source[i][t] (-1: zero)
        final INDArray z;       // aligned input [mb, F, L]
        final INDArray last;    // nlinear: z[:, :, L-1] [mb, F]
        final INDArray a;       // nlinear: flat(z - last); dlinear: flat(trend), [mb, F L]
        final INDArray s;       // dlinear: flat(z - trend)

        /**
         * @param input NCW windows [mb, F, L]
         * @param mask  the features mask [mb, L] (right-padded windows) or null
         * @param trend dlinear: {@link #trendMatrix}(L) as an array of type {@code dt}; nlinear: ignored
         */
        public Features(INDArray input, INDArray mask, Kind kind, DataType dt, INDArray trend) {
            nlinear = kind == Kind.NLINEAR;
            mb = input.size(0);
            features = (int) input.size(1);
            steps = (int) input.size(2);
            if (mask != null && (mask.rank() != 2 || mask.size(0) != mb || mask.size(1) != steps)) {
                throw new IllegalStateException("LinearForecastLayer: features mask must be [minibatch, L] = ["
                        + mb + ", " + steps + "], got " + Arrays.toString(mask.shape()));
            }
            source = mask == null ? null : alignment(mask.toFloatMatrix());
            z = source == null ? input.castTo(dt) : align(input.castTo(dt), dt);
            if (nlinear) {
                last = z.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(steps - 1)).dup()
                        .reshape('c', mb, features);
                INDArray centred = z.dup();
                for (int f = 0; f < features; f++) {
                    centred.get(NDArrayIndex.all(), NDArrayIndex.point(f), NDArrayIndex.all())
                            .subiColumnVector(last.getColumn(f, true));
                }
                a = centred.reshape('c', mb, (long) features * steps);
                s = null;
            } else {
                last = null;
                INDArray rows = z.reshape('c', mb * features, steps);
                a = rows.mmul(trend).reshape('c', mb, (long) features * steps);
                s = z.reshape('c', mb, (long) features * steps).sub(a);
            }
        }

        /** The design matrix: nlinear [mb, F L] (centred input), dlinear [mb, 2 F L] (trend, then remainder). */
        public INDArray design() {
            return nlinear ? a : Nd4j.hstack(a, s);
        }

        /** What the output adds besides the linear maps and the bias, [mb, 1]: nlinear the target's last value. */
        public INDArray offset() {
            return nlinear ? last.getColumn(0, true).dup() : Nd4j.zeros(a.dataType(), mb, 1);
        }

        /** For each example: which input step each aligned position reads (real steps moved to the end). */
        int[][] alignment(float[][] mask) {
            int[][] src = new int[(int) mb][steps];
            for (int i = 0; i < mb; i++) {
                int real = 0;
                while (real < steps && mask[i][real] > 0) {
                    real++;
                }
                for (int t = 0; t < steps; t++) {
                    src[i][t] = real == 0 ? -1 : Math.max(0, t - (steps - real));
                }
            }
            return src;
        }

        INDArray align(INDArray x, DataType dt) {
            INDArray out = Nd4j.zeros(dt, mb, features, steps);
            for (int i = 0; i < mb; i++) {
                for (int t = 0; t < steps; t++) {
                    if (source[i][t] >= 0) {
                        out.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(t))
                                .assign(x.get(NDArrayIndex.point(i), NDArrayIndex.all(),
                                        NDArrayIndex.point(source[i][t])));
                    }
                }
            }
            return out;
        }
    }

    /** The runtime layer: forward and backward passes computed directly (the backward pass recomputes the forward). */
    public static class Impl extends NcwRuntime {

        private INDArray trend; // [L, L], built on first use

        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private LinearForecastLayer cfg() {
            return (LinearForecastLayer) layerConf();
        }

        @Override
        protected INDArray forward(boolean training) {
            return new Pass().output;
        }

        @Override
        protected INDArray backward(INDArray epsilon) {
            return new Pass().backward(epsilon);
        }

        private INDArray trendMatrix(DataType dt, int steps) {
            if (trend == null || trend.dataType() != dt || trend.size(0) != steps) {
                trend = trendArray(dt, steps);
            }
            return trend;
        }

        /** The forward pass over the current input and mask, keeping what the backward pass needs. */
        private final class Pass {
            final boolean nlinear = cfg().getKind() == Kind.NLINEAR;
            final DataType dt = paramTable.get(BIAS_KEY).dataType();
            final Features f;
            final long mb;
            final int features;
            final int steps;
            final INDArray output;  // [mb, H]

            Pass() {
                if (input.rank() != 3) {
                    throw new IllegalStateException("LinearForecastLayer expects NCW input [mb, F, L], got "
                            + Arrays.toString(input.shape()));
                }
                if (input.size(1) * input.size(2) != paramTable.get(nlinear ? WEIGHT_KEY : TREND_KEY).size(0)) {
                    throw new IllegalStateException("LinearForecastLayer was built for " + cfg().getNIn()
                            + " features x " + cfg().getLookback() + " steps, got input "
                            + Arrays.toString(input.shape()));
                }
                f = new Features(input, maskArray, cfg().getKind(), dt,
                        nlinear ? null : trendMatrix(dt, (int) input.size(2)));
                mb = f.mb;
                features = f.features;
                steps = f.steps;
                if (nlinear) {
                    output = f.a.mmul(paramTable.get(WEIGHT_KEY)).addiRowVector(paramTable.get(BIAS_KEY))
                            .addiColumnVector(f.last.getColumn(0, true));
                } else {
                    output = f.a.mmul(paramTable.get(TREND_KEY)).addi(f.s.mmul(paramTable.get(SEASONAL_KEY)))
                            .addiRowVector(paramTable.get(BIAS_KEY));
                }
            }

            INDArray backward(INDArray epsilon) {
                INDArray eps = epsilon.castTo(dt);
                gradTable.get(BIAS_KEY).assign(eps.sum(true, 0));
                INDArray dz;
                if (nlinear) {
                    INDArray w = paramTable.get(WEIGHT_KEY);
                    gradTable.get(WEIGHT_KEY).assign(f.a.transpose().mmul(eps));
                    INDArray dCentred = eps.mmul(w.transpose()).reshape('c', mb, features, steps);
                    dz = dCentred.dup();
                    // centred = z - last per feature; out also adds z[:, 0, L-1]
                    INDArray dLast = dCentred.sum(2).negi().reshape('c', mb, features);
                    dLast.getColumn(0, true).addi(eps.sum(true, 1));
                    INDArray lastStep = dz.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(steps - 1));
                    lastStep.addi(dLast.reshape(lastStep.shape()));
                } else {
                    INDArray wt = paramTable.get(TREND_KEY);
                    INDArray ws = paramTable.get(SEASONAL_KEY);
                    gradTable.get(TREND_KEY).assign(f.a.transpose().mmul(eps));
                    gradTable.get(SEASONAL_KEY).assign(f.s.transpose().mmul(eps));
                    INDArray dTrend = eps.mmul(wt.transpose());
                    INDArray dSeasonal = eps.mmul(ws.transpose());
                    // trend = z A, seasonal = z - z A: dz = dSeasonal + (dTrend - dSeasonal) A^T
                    INDArray viaTrend = dTrend.sub(dSeasonal).reshape('c', mb * features, steps)
                            .mmul(trendMatrix(dt, steps).transpose());
                    dz = dSeasonal.reshape('c', mb * features, steps).addi(viaTrend).reshape('c', mb, features,
                            steps);
                }
                if (f.source == null) {
                    return dz.castTo(input.dataType());
                }
                INDArray dx = Nd4j.zeros(dt, mb, features, steps);
                for (int i = 0; i < mb; i++) {
                    for (int t = 0; t < steps; t++) {
                        if (f.source[i][t] >= 0) {
                            dx.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(f.source[i][t]))
                                    .addi(dz.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(t)));
                        }
                    }
                }
                return dx.castTo(input.dataType());
            }
        }
    }
}
