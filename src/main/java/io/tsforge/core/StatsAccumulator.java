package io.tsforge.core;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-feature count, mean, variance (Welford, merged with Chan's formula), min and max; and, when a robust scale is
 * wanted, the values themselves so that medians and quartiles are exact. Accumulators built over any partition of the
 * data {@link #merge} into the same statistics as one built over all of it (up to floating-point rounding for the
 * variance; exactly for everything else).
 */
public final class StatsAccumulator implements Serializable {

    private final int features;
    private final boolean keepValues;
    private long count;
    private final double[] mean;
    private final double[] m2;
    private final double[] min;
    private final double[] max;
    private double[][] values;
    private int size;

    public StatsAccumulator(int features, boolean keepValues) {
        this.features = features;
        this.keepValues = keepValues;
        this.mean = new double[features];
        this.m2 = new double[features];
        this.min = new double[features];
        this.max = new double[features];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        if (keepValues) {
            values = new double[features][16];
        }
    }

    public StatsAccumulator add(double[] x) {
        count++;
        for (int f = 0; f < features; f++) {
            double v = x[f];
            double d = v - mean[f];
            mean[f] += d / count;
            m2[f] += d * (v - mean[f]);
            min[f] = Math.min(min[f], v);
            max[f] = Math.max(max[f], v);
        }
        if (keepValues) {
            ensure(size + 1);
            for (int f = 0; f < features; f++) {
                values[f][size] = x[f];
            }
            size++;
        }
        return this;
    }

    /** Adds {@code other} into this accumulator and returns this. */
    public StatsAccumulator merge(StatsAccumulator other) {
        if (other.features != features || other.keepValues != keepValues) {
            throw new IllegalArgumentException("cannot merge statistics of " + other.features + " features into "
                    + features);
        }
        if (other.count == 0) {
            return this;
        }
        long n = count + other.count;
        for (int f = 0; f < features; f++) {
            double d = other.mean[f] - mean[f];
            mean[f] += d * other.count / n;
            m2[f] += other.m2[f] + d * d * ((double) count * other.count / n);
            min[f] = Math.min(min[f], other.min[f]);
            max[f] = Math.max(max[f], other.max[f]);
        }
        if (keepValues) {
            ensure(size + other.size);
            for (int f = 0; f < features; f++) {
                System.arraycopy(other.values[f], 0, values[f], size, other.size);
            }
            size += other.size;
        }
        count = n;
        return this;
    }

    private void ensure(int capacity) {
        if (capacity > values[0].length) {
            int cap = Math.max(capacity, values[0].length * 2);
            for (int f = 0; f < features; f++) {
                values[f] = Arrays.copyOf(values[f], cap);
            }
        }
    }

    public long count() {
        return count;
    }

    public int features() {
        return features;
    }

    public boolean keepsValues() {
        return keepValues;
    }

    public double mean(int f) {
        return count == 0 ? Double.NaN : mean[f];
    }

    /** Population variance, as the ETTh1 protocol's scaler uses. */
    public double variance(int f) {
        return count == 0 ? Double.NaN : m2[f] / count;
    }

    public double std(int f) {
        return Math.sqrt(variance(f));
    }

    public double min(int f) {
        return count == 0 ? Double.NaN : min[f];
    }

    public double max(int f) {
        return count == 0 ? Double.NaN : max[f];
    }

    /** The q-quantile by linear interpolation between order statistics; needs {@code keepValues}. */
    public double quantile(int f, double q) {
        if (!keepValues) {
            throw new IllegalStateException("quantiles need an accumulator created with keepValues");
        }
        if (size == 0) {
            return Double.NaN;
        }
        double[] sorted = Arrays.copyOf(values[f], size);
        Arrays.sort(sorted);
        return quantileOfSorted(sorted, q);
    }

    public static double quantileOfSorted(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
