package io.tsforge.eval;

import io.tsforge.core.AnomalyScoring;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The non-deep anomaly baseline: the residual of the seasonal-naive forecast, {@code y[t] - y[t - season]}, scored
 * like the model's residuals: a robust z-score against residuals of a fitting range (the validation range, as the
 * model's calibration), turned into {@code erf(z / sqrt 2)} in [0, 1). Fit, then apply: scoring never refits.
 */
public record SeasonalResidualDetector(int season, double median, double scale) implements Serializable {

    public SeasonalResidualDetector {
        if (season < 1) {
            throw new IllegalArgumentException("season must be >= 1, found " + season);
        }
        if (!(scale > 0)) {
            throw new IllegalArgumentException("scale must be > 0, found " + scale);
        }
    }

    /**
     * Fits on the residuals whose step and its season-earlier step are both in range, over segments of one series.
     * The scale is 1.4826 MAD; when that is 0 (e.g. a piecewise constant range) the standard deviation; when that is
     * 0 too, or there are no residuals, 1 (values are expected in normalized units). Returns null without residuals.
     */
    public static SeasonalResidualDetector fit(int season, List<double[]> segments, List<boolean[]> inRange) {
        double[] r = new double[0];
        int n = 0;
        for (int s = 0; s < segments.size(); s++) {
            double[] y = segments.get(s);
            boolean[] in = inRange.get(s);
            for (int t = season; t < y.length; t++) {
                if (in[t] && in[t - season]) {
                    if (n == r.length) {
                        r = Arrays.copyOf(r, Math.max(16, 2 * n));
                    }
                    r[n++] = y[t] - y[t - season];
                }
            }
        }
        if (n == 0) {
            return null;
        }
        double[] x = Arrays.copyOf(r, n);
        double median = median(x);
        double[] dev = new double[n];
        for (int i = 0; i < n; i++) {
            dev[i] = Math.abs(x[i] - median);
        }
        double scale = 1.4826 * median(dev);
        if (!(scale > 0)) {
            double mean = Arrays.stream(x).average().orElse(0);
            scale = Math.sqrt(Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / n);
        }
        return new SeasonalResidualDetector(season, median, scale > 0 ? scale : 1.0);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Scores every step of a segment; NaN for the first {@code season} steps (no residual). */
    public double[] scores(double[] y) {
        double[] out = new double[y.length];
        for (int t = 0; t < y.length; t++) {
            out[t] = t < season ? Double.NaN
                    : AnomalyScoring.erf(Math.abs(y[t] - y[t - season] - median) / scale / Math.sqrt(2.0));
        }
        return out;
    }
}
