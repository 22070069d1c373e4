package io.tsforge.core;

import java.io.Serializable;

/**
 * The normalization methods and the fitted per-feature {@link Scale}s they produce.
 *
 * <p>A feature whose scale is zero (a constant series, a single point) is centred only: its scale becomes 1 and it is
 * marked {@code constant}, so training values become 0 and nothing divides by zero. A robust scale (IQR) of zero on
 * a non-constant series falls back to the standard deviation before that.
 */
public enum Normalization {
    ZSCORE, MINMAX, ROBUST, NONE;

    /** Relative size under which a scale counts as zero. */
    static final double ZERO_SCALE = 1e-12;

    public boolean needsValues() {
        return this == ROBUST;
    }

    /** {@code normalized = (x - center) / scale}. */
    public record Scale(double[] center, double[] scale, boolean[] constant) implements Serializable {
        public double apply(int feature, double x) {
            return (x - center[feature]) / scale[feature];
        }

        public double invert(int feature, double z) {
            return z * scale[feature] + center[feature];
        }
    }

    /** Fits a scale from statistics; returns null when they hold no value. */
    public Scale fit(StatsAccumulator stats) {
        if (stats.count() == 0) {
            return null;
        }
        int n = stats.features();
        double[] center = new double[n];
        double[] scale = new double[n];
        boolean[] constant = new boolean[n];
        for (int f = 0; f < n; f++) {
            double c, s;
            switch (this) {
                case ZSCORE -> { c = stats.mean(f); s = stats.std(f); }
                case MINMAX -> { c = stats.min(f); s = stats.max(f) - stats.min(f); }
                case ROBUST -> {
                    c = stats.quantile(f, 0.5);
                    s = stats.quantile(f, 0.75) - stats.quantile(f, 0.25);
                    if (isZero(s, c)) {
                        s = stats.std(f);
                    }
                }
                default -> { c = 0.0; s = 1.0; }
            }
            if (isZero(s, c)) {
                s = 1.0;
                constant[f] = this != NONE;
            }
            center[f] = c;
            scale[f] = s;
        }
        return new Scale(center, scale, constant);
    }

    private static boolean isZero(double scale, double center) {
        return !(scale > ZERO_SCALE * Math.max(1.0, Math.abs(center)));
    }
}
