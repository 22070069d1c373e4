package io.tsforge.core;

/**
 * Anomaly scores and prediction intervals from a {@link ResidualCalibration}, never from the data being scored.
 *
 * <p>A residual {@code r} (normalized units) of a series at horizon step {@code k} becomes a robust z-score
 * {@code z = |r - median| / scale} against that step's validation residuals, and the score is the two-sided normal
 * probability {@code erf(z / sqrt 2)} in [0, 1). So a threshold of {@code 1 - a} flags a share {@code a} of rows when
 * residuals behave as they did on validation (Gaussian-like): {@code detect.falseAlarmRate} sets exactly that.
 */
public final class AnomalyScoring {

    private AnomalyScoring() {
    }

    public static double zScore(double residual, ResidualCalibration.Step step) {
        return Math.abs(residual - step.median()) / step.scale();
    }

    public static double score(double residual, ResidualCalibration.Step step) {
        return erf(zScore(residual, step) / Math.sqrt(2.0));
    }

    /** The central interval of probability {@code p}, as offsets to add to the forecast (normalized units). */
    public static double[] interval(ResidualCalibration.Step step, double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("interval probability must be in (0, 1), found " + p);
        }
        return new double[]{step.quantile((1 - p) / 2), step.quantile((1 + p) / 2)};
    }

    /** erf(x) = 1 - erfc(x). */
    public static double erf(double x) {
        return 1.0 - erfc(x);
    }

    /**
     * The complementary error function by the Chebyshev fit of Numerical Recipes ({@code erfcc}): fractional error
     * below 1.2e-7 everywhere, so scores near 1 (where thresholds sit) keep their precision.
     */
    public static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
                + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2.0 - ans;
    }
}
