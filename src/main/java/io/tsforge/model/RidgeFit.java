package io.tsforge.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Penalised least squares for the linear forecasters ({@link LinearForecastLayer}): the weights that minimise
 * <pre>  mean over windows and horizon steps of (y - design W - b - offset)^2  +  lambda |W|^2 / H</pre>
 * i.e. per window the squared error summed over the H steps plus {@code lambda |W|^2}, the bias not penalised.
 * The data enter only through {@link Stats}: counts, sums, the Gram matrix of the design and its cross products with
 * the targets, in double precision. Stats of disjoint sets of windows merge by addition, so executors accumulate them
 * and the driver solves: one pass over the data, whatever the number of penalties tried. The validation loss of every
 * candidate is computed from the validation windows' Stats as well, exactly (not by scoring the windows again).
 */
public final class RidgeFit {

    private RidgeFit() {
    }

    /** Sufficient statistics of a set of windows for the least-squares problem (d design columns, H targets). */
    public static final class Stats implements Serializable {
        private static final long serialVersionUID = 1L;
        final int d;
        final int h;
        long n;
        final double[] sumA;   // [d]
        final double[] sumT;   // [H]
        final double[] gram;   // [d, d] row-major: sum a a^T
        final double[] cross;  // [d, H] row-major: sum a t^T
        double sumTT;          // sum |t|^2

        public Stats(int d, int h) {
            if (d < 1 || h < 1) {
                throw new IllegalArgumentException("RidgeFit.Stats: need d >= 1 and H >= 1, got " + d + ", " + h);
            }
            this.d = d;
            this.h = h;
            sumA = new double[d];
            sumT = new double[h];
            gram = new double[d * d];
            cross = new double[d * h];
        }

        /** Adds a minibatch: its design rows [mb, d] and targets [mb, H] (the labels minus the offset). */
        public Stats add(INDArray design, INDArray target) {
            if (design.rank() != 2 || design.size(1) != d || target.rank() != 2 || target.size(1) != h
                    || target.size(0) != design.size(0)) {
                throw new IllegalArgumentException("RidgeFit.Stats: expected design [mb, " + d + "] and target [mb, "
                        + h + "], got " + Arrays.toString(design.shape()) + " and " + Arrays.toString(target.shape()));
            }
            INDArray a = design.castTo(DataType.DOUBLE);
            INDArray t = target.castTo(DataType.DOUBLE);
            n += a.size(0);
            addInto(sumA, a.sum(0));
            addInto(sumT, t.sum(0));
            addInto(gram, a.transpose().mmul(a));
            addInto(cross, a.transpose().mmul(t));
            sumTT += t.mul(t).sumNumber().doubleValue();
            return this;
        }

        /** Adds one minibatch of windows as the network's linear layer reads them (labels [mb, H], no labels mask). */
        public Stats add(DataSet batch, LinearForecastLayer.Kind kind) {
            if (batch.getLabelsMaskArray() != null) {
                throw new IllegalArgumentException("RidgeFit: windows with a labels mask (a per-step head) cannot be "
                        + "solved by least squares");
            }
            LinearForecastLayer.Features f = features(batch.getFeatures(), batch.getFeaturesMaskArray(), kind);
            INDArray labels = batch.getLabels();
            if (labels.rank() != 2) {
                throw new IllegalArgumentException("RidgeFit: labels must be [mb, H], got "
                        + Arrays.toString(labels.shape()));
            }
            return add(f.design(), labels.castTo(DataType.DOUBLE).subColumnVector(f.offset()));
        }

        /** This plus {@code other} (this is changed and returned). */
        public Stats merge(Stats other) {
            if (other.d != d || other.h != h) {
                throw new IllegalArgumentException("RidgeFit.Stats: cannot merge [" + d + ", " + h + "] with ["
                        + other.d + ", " + other.h + "]");
            }
            n += other.n;
            for (int i = 0; i < d; i++) {
                sumA[i] += other.sumA[i];
            }
            for (int i = 0; i < h; i++) {
                sumT[i] += other.sumT[i];
            }
            for (int i = 0; i < gram.length; i++) {
                gram[i] += other.gram[i];
            }
            for (int i = 0; i < cross.length; i++) {
                cross[i] += other.cross[i];
            }
            sumTT += other.sumTT;
            return this;
        }

        public long count() {
            return n;
        }

        /** Mean squared error per window and step of the forecast design W + b on these windows. */
        public double mse(INDArray w, INDArray b) {
            if (n == 0) {
                return Double.NaN;
            }
            INDArray g = Nd4j.create(gram, new long[]{d, d}, DataType.DOUBLE);
            INDArray c = Nd4j.create(cross, new long[]{d, h}, DataType.DOUBLE);
            INDArray sa = Nd4j.create(sumA, new long[]{1, d}, DataType.DOUBLE);
            INDArray st = Nd4j.create(sumT, new long[]{1, h}, DataType.DOUBLE);
            // sum |t - W^T a - b|^2 = sum|t|^2 - 2 tr(W^T C) - 2 b.st + tr(W^T G W) + 2 b.(W^T sa) + n |b|^2
            double sse = sumTT - 2 * w.mul(c).sumNumber().doubleValue()
                    - 2 * b.mul(st).sumNumber().doubleValue()
                    + w.mul(g.mmul(w)).sumNumber().doubleValue()
                    + 2 * sa.mmul(w).mul(b).sumNumber().doubleValue()
                    + n * b.mul(b).sumNumber().doubleValue();
            return Math.max(0, sse) / ((double) n * h);
        }

        private static void addInto(double[] acc, INDArray x) {
            double[] v = x.reshape(x.length()).toDoubleVector();
            for (int i = 0; i < acc.length; i++) {
                acc[i] += v[i];
            }
        }
    }

    /** The linear forecast layer of a network built for a linear model type. */
    public static LinearForecastLayer layer(MultiLayerNetwork net) {
        if (!(net.getLayerWiseConfigurations().getConf(0).getLayer() instanceof LinearForecastLayer l)) {
            throw new IllegalArgumentException("RidgeFit: the network's first layer is not a LinearForecastLayer but "
                    + net.getLayerWiseConfigurations().getConf(0).getLayer().getClass().getSimpleName());
        }
        return l;
    }

    /** Empty statistics sized for {@code layer}. */
    public static Stats stats(LinearForecastLayer layer) {
        long cols = layer.getNIn() * layer.getLookback() * (layer.getKind() == LinearForecastLayer.Kind.NLINEAR ? 1 : 2);
        return new Stats(Math.toIntExact(cols), Math.toIntExact(layer.getHorizon()));
    }

    static LinearForecastLayer.Features features(INDArray input, INDArray mask, LinearForecastLayer.Kind kind) {
        boolean nlinear = kind == LinearForecastLayer.Kind.NLINEAR;
        return new LinearForecastLayer.Features(input, mask, kind, DataType.DOUBLE,
                nlinear ? null : LinearForecastLayer.trendArray(DataType.DOUBLE, (int) input.size(2)));
    }

    /** One penalty's solution: weights [d, H], bias [1, H], and its loss on the training and validation windows. */
    public record Solution(double lambda, INDArray weights, INDArray bias, double trainLoss, double validationLoss) {
    }

    /**
     * Solves for every penalty in {@code lambdas} (each > 0) on {@code train} and scores each on {@code validation}.
     * The centred Gram matrix is diagonalised once (LAPACK's symmetric eigensolver), so each penalty costs two
     * matrix products.
     */
    public static List<Solution> solve(Stats train, Stats validation, List<Double> lambdas) {
        if (train.n < 2) {
            throw new IllegalArgumentException("RidgeFit: need at least 2 training windows, found " + train.n);
        }
        int d = train.d;
        int h = train.h;
        double n = train.n;
        INDArray sa = Nd4j.create(train.sumA, new long[]{d, 1}, DataType.DOUBLE);
        INDArray st = Nd4j.create(train.sumT, new long[]{1, h}, DataType.DOUBLE);
        // centre (the bias is not penalised): G - sa sa^T / n, C - sa st^T / n
        INDArray g = Nd4j.create(train.gram, new long[]{d, d}, DataType.DOUBLE).subi(sa.mmul(sa.transpose()).divi(n));
        INDArray c = Nd4j.create(train.cross, new long[]{d, h}, DataType.DOUBLE).subi(sa.mmul(st).divi(n));
        INDArray q = g.dup('f');
        INDArray eig = Eigen.symmetricGeneralizedEigenvalues(q, true); // q now holds the eigenvectors (columns)
        INDArray qtc = q.transpose().mmul(c);                           // [d, H]
        double[] e = eig.reshape(d).toDoubleVector();
        List<Solution> out = new ArrayList<>();
        for (double lambda : lambdas) {
            if (!(lambda > 0)) {
                throw new IllegalArgumentException("RidgeFit: every lambda must be > 0, found " + lambda);
            }
            double[] inv = new double[d];
            for (int i = 0; i < d; i++) {
                inv[i] = 1.0 / (Math.max(0, e[i]) + lambda * n);
            }
            INDArray w = q.mmul(qtc.mulColumnVector(Nd4j.create(inv, new long[]{d, 1}, DataType.DOUBLE)));
            INDArray b = st.sub(sa.transpose().mmul(w)).divi(n);
            out.add(new Solution(lambda, w, b, train.mse(w, b), validation.mse(w, b)));
        }
        return out;
    }

    /** The solution with the lowest validation loss (the first of equals). */
    public static Solution best(List<Solution> solutions) {
        Solution best = null;
        for (Solution s : solutions) {
            if (best == null || s.validationLoss() < best.validationLoss()) {
                best = s;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("RidgeFit: no penalty to choose from");
        }
        return best;
    }

    /** Writes a solution into the network's linear layer (layer 0), in the network's data type. */
    public static void apply(MultiLayerNetwork net, Solution s) {
        LinearForecastLayer layer = layer(net);
        long rows = layer.getNIn() * layer.getLookback();
        if (layer.getKind() == LinearForecastLayer.Kind.NLINEAR) {
            net.getParam("0_" + LinearForecastLayer.WEIGHT_KEY).assign(s.weights());
        } else {
            net.getParam("0_" + LinearForecastLayer.TREND_KEY).assign(s.weights().get(
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, rows),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()));
            net.getParam("0_" + LinearForecastLayer.SEASONAL_KEY).assign(s.weights().get(
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(rows, 2 * rows),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()));
        }
        net.getParam("0_" + LinearForecastLayer.BIAS_KEY).assign(s.bias());
    }
}
