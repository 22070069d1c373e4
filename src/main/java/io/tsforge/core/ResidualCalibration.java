package io.tsforge.core;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The distribution of validation residuals {@code r = actual - forecast} (normalized units), per series and per
 * horizon step, plus a global one per step for series without enough residuals of their own. Scoring jobs take
 * prediction intervals from its quantiles ({@code actual = forecast + r}) and anomaly scores from its robust scale;
 * it is fitted on validation windows only, never on the data being scored.
 */
public record ResidualCalibration(int horizon, double[] levels, Map<String, Step[]> perSeries, Step[] global,
                                  int minCount) implements Serializable {

    /** Quantile levels kept for every step: enough for central intervals of 50, 80, 90, 95, 98 and 99 %. */
    public static final double[] LEVELS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99,
            0.995};

    /** Residual statistics of one step: robust {@code scale} = 1.4826 * MAD (the std for Gaussian residuals). */
    public record Step(long count, double mean, double std, double median, double scale, double[] quantiles)
            implements Serializable {

        /** The residual quantile at {@code level}, interpolated between the kept levels. */
        public double quantile(double level) {
            double[] lv = LEVELS;
            if (level <= lv[0]) {
                return quantiles[0];
            }
            for (int i = 1; i < lv.length; i++) {
                if (level <= lv[i]) {
                    double w = (level - lv[i - 1]) / (lv[i] - lv[i - 1]);
                    return quantiles[i - 1] + w * (quantiles[i] - quantiles[i - 1]);
                }
            }
            return quantiles[quantiles.length - 1];
        }
    }

    /** Accumulators per series: one single-feature {@link StatsAccumulator} (keeping values) per horizon step. */
    public static StatsAccumulator[] newAccumulators(int horizon) {
        StatsAccumulator[] a = new StatsAccumulator[horizon];
        for (int k = 0; k < horizon; k++) {
            a[k] = new StatsAccumulator(1, true);
        }
        return a;
    }

    public static StatsAccumulator[] merge(StatsAccumulator[] a, StatsAccumulator[] b) {
        for (int k = 0; k < a.length; k++) {
            a[k].merge(b[k]);
        }
        return a;
    }

    /**
     * Fits per-series and global step statistics. A series with fewer than {@code minCount} residuals at a step keeps
     * no statistics of its own and uses the global ones ({@link #step}).
     */
    public static ResidualCalibration fit(int horizon, Map<String, StatsAccumulator[]> perSeries, int minCount) {
        StatsAccumulator[] all = newAccumulators(horizon);
        Map<String, Step[]> out = new TreeMap<>();
        for (Map.Entry<String, StatsAccumulator[]> e : new TreeMap<>(perSeries).entrySet()) {
            merge(all, e.getValue());
            if (e.getValue()[0].count() >= minCount) {
                out.put(e.getKey(), steps(e.getValue()));
            }
        }
        if (all[0].count() == 0) {
            throw new IllegalStateException("no validation residuals to calibrate on: the validation split has no "
                    + "window (check split.* and window.*)");
        }
        return new ResidualCalibration(horizon, LEVELS.clone(), out, steps(all), minCount);
    }

    private static Step[] steps(StatsAccumulator[] acc) {
        Step[] s = new Step[acc.length];
        for (int k = 0; k < acc.length; k++) {
            double[] sorted = acc[k].sortedValues(0);
            double median = StatsAccumulator.quantileOfSorted(sorted, 0.5);
            double[] dev = new double[sorted.length];
            for (int i = 0; i < sorted.length; i++) {
                dev[i] = Math.abs(sorted[i] - median);
            }
            Arrays.sort(dev);
            double scale = 1.4826 * StatsAccumulator.quantileOfSorted(dev, 0.5);
            if (!(scale > 1e-12)) {
                scale = acc[k].std(0) > 1e-12 ? acc[k].std(0) : 1e-6; // perfect fits must not divide by zero
            }
            double[] q = new double[LEVELS.length];
            for (int i = 0; i < q.length; i++) {
                q[i] = StatsAccumulator.quantileOfSorted(sorted, LEVELS[i]);
            }
            s[k] = new Step(acc[k].count(), acc[k].mean(0), acc[k].std(0), median, scale, q);
        }
        return s;
    }

    /** The statistics of one series and step, or the global ones when the series has none. */
    public Step step(String seriesId, int k) {
        Step[] s = perSeries.get(seriesId);
        return (s != null ? s : global)[k];
    }
}
