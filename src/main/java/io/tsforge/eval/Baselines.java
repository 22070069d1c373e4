package io.tsforge.eval;

/**
 * Non-deep forecasters evaluated at the model's own origins. {@code y} is one gap-free segment in time order and
 * {@code origin} the index of the last observed step; each method returns the {@code horizon} forecasts after it,
 * or null when the segment holds too little history before the origin.
 */
public final class Baselines {

    private Baselines() {
    }

    /** Repeats the value at the origin. */
    public static double[] lastValue(double[] y, int origin, int horizon) {
        check(y, origin, horizon);
        double[] f = new double[horizon];
        java.util.Arrays.fill(f, y[origin]);
        return f;
    }

    /**
     * Step {@code k} (1-based) repeats the value one or more whole seasons before it:
     * {@code y[origin + k - season * ceil(k / season)]}. Needs {@code season} steps of history up to the origin.
     */
    public static double[] seasonalNaive(double[] y, int origin, int season, int horizon) {
        check(y, origin, horizon);
        if (season < 1) {
            throw new IllegalArgumentException("season must be >= 1, found " + season);
        }
        if (origin - season + 1 < 0) {
            return null;
        }
        double[] f = new double[horizon];
        for (int k = 1; k <= horizon; k++) {
            int back = season * ((k + season - 1) / season);
            f[k - 1] = y[origin + k - back];
        }
        return f;
    }

    /**
     * A recursive autoregression: {@code coef[j]} multiplies the value {@code coef.length - 1 - j} steps before the
     * one forecast (oldest lag first), plus {@code intercept}; each forecast feeds the next step's lags.
     */
    public static double[] autoregressive(double[] coef, double intercept, double[] y, int origin, int horizon) {
        check(y, origin, horizon);
        int lags = coef.length;
        if (origin - lags + 1 < 0) {
            return null;
        }
        double[] buf = new double[lags + horizon];
        System.arraycopy(y, origin - lags + 1, buf, 0, lags);
        double[] f = new double[horizon];
        for (int k = 0; k < horizon; k++) {
            double s = intercept;
            for (int j = 0; j < lags; j++) {
                s += coef[j] * buf[k + j];
            }
            buf[lags + k] = s;
            f[k] = s;
        }
        return f;
    }

    private static void check(double[] y, int origin, int horizon) {
        if (origin < 0 || origin >= y.length) {
            throw new IllegalArgumentException("origin must be in [0, " + y.length + "), found " + origin);
        }
        if (horizon < 1) {
            throw new IllegalArgumentException("horizon must be >= 1, found " + horizon);
        }
    }
}
