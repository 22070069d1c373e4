package io.tsforge.core;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-feature count, mean, variance (Welford, merged with Chan's formula), min and max; and, when a robust scale is
 * wanted, the values themselves so that medians and quartiles are exact. Accumulators built over any partition of the
 * data {@link #merge} into the same statistics as one built over all of it (up to floating-point rounding of mean and
 * variance; exactly for count, min, max and quantiles).
 *
 * <p>Moments are kept relative to a shift (the first value seen), so that a large offset with small noise (a sensor
 * reading 1e15 + noise, epoch-like values) does not lose the variance to rounding of the running mean.
 */
public final class StatsAccumulator implements Serializable {

    private final int features;
    private final boolean keepValues;
    private long count;
    private final double[] shift;
    private final double[] mean;
    private final double[] m2;
    private final double[] min;
    private final double[] max;
    private double[][] values;
    private int size;

    public StatsAccumulator(int features, boolean keepValues) {
        this.features = features;
        this.keepValues = keepValues;
        this.shift = new double[features];
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
        if (count == 0) {
            System.arraycopy(x, 0, shift, 0, features);
        }
        count++;
        for (int f = 0; f < features; f++) {
            double v = x[f] - shift[f];
            double d = v - mean[f];
            mean[f] += d / count;
            m2[f] += d * (v - mean[f]);
            min[f] = Math.min(min[f], x[f]);
            max[f] = Math.max(max[f], x[f]);
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

    /**
     * Adds {@code other} into this accumulator and returns this. Values kept by {@code other} are dropped when this
     * accumulator keeps none; the reverse would leave quantiles incomplete and is refused.
     */
    public StatsAccumulator merge(StatsAccumulator other) {
        if (other.features != features) {
            throw new IllegalArgumentException("cannot merge statistics of " + other.features + " features into "
                    + "statistics of " + features);
        }
        if (keepValues && !other.keepValues) {
            throw new IllegalArgumentException("cannot merge statistics without values into statistics that keep "
                    + "values (quantiles would be incomplete)");
        }
        if (other.count == 0) {
            return this;
        }
        if (count == 0) {
            System.arraycopy(other.shift, 0, shift, 0, features);
            System.arraycopy(other.mean, 0, mean, 0, features);
            System.arraycopy(other.m2, 0, m2, 0, features);
            System.arraycopy(other.min, 0, min, 0, features);
            System.arraycopy(other.max, 0, max, 0, features);
            count = other.count;
            if (keepValues) {
                ensure(other.size);
                for (int f = 0; f < features; f++) {
                    System.arraycopy(other.values[f], 0, values[f], 0, other.size);
                }
                size = other.size;
            }
            return this;
        }
        long n = count + other.count;
        for (int f = 0; f < features; f++) {
            // difference of the two means, with the shifts (close to each other) subtracted first
            double d = (other.shift[f] - shift[f]) + (other.mean[f] - mean[f]);
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
        return count == 0 ? Double.NaN : shift[f] + mean[f];
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

    /** The kept values of feature {@code f}, sorted; needs {@code keepValues}. */
    public double[] sortedValues(int f) {
        if (!keepValues) {
            throw new IllegalStateException("sorted values need an accumulator created with keepValues");
        }
        double[] sorted = Arrays.copyOf(values[f], size);
        Arrays.sort(sorted);
        return sorted;
    }

    public static double quantileOfSorted(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
