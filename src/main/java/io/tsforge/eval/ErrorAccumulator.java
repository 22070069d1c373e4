package io.tsforge.eval;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sums of forecast errors that merge: MAE, RMSE and sMAPE in original units, MSE and MAE on the normalized scale,
 * and MASE (absolute errors divided by the series' in-sample seasonal-naive MAE, averaged over the rows whose series
 * has a scale above zero). Merging two halves gives exactly the sums of the whole.
 */
public final class ErrorAccumulator implements Serializable {

    private long count;
    private double sumAbs;
    private double sumSq;
    private double sumSmape;
    private double sumAbsNorm;
    private double sumSqNorm;
    private long scaledCount;
    private double sumScaledAbs;

    /**
     * Adds one forecast. {@code maseScale} is the series' in-sample seasonal-naive MAE; NaN or 0 (a constant training
     * range) leaves the row out of MASE only. sMAPE takes {@code 200 |F - A| / (|A| + |F|)}, and 0 when both are 0.
     */
    public void add(double actual, double forecast, double actualNorm, double forecastNorm, double maseScale) {
        if (!Double.isFinite(actual) || !Double.isFinite(forecast)) {
            throw new IllegalArgumentException("actual and forecast must be finite, found actual=" + actual
                    + ", forecast=" + forecast);
        }
        double e = forecast - actual;
        double en = forecastNorm - actualNorm;
        count++;
        sumAbs += Math.abs(e);
        sumSq += e * e;
        double denominator = Math.abs(actual) + Math.abs(forecast);
        sumSmape += denominator == 0 ? 0 : 200 * Math.abs(e) / denominator;
        sumAbsNorm += Math.abs(en);
        sumSqNorm += en * en;
        if (maseScale > 0 && Double.isFinite(maseScale)) {
            scaledCount++;
            sumScaledAbs += Math.abs(e) / maseScale;
        }
    }

    public ErrorAccumulator merge(ErrorAccumulator o) {
        count += o.count;
        sumAbs += o.sumAbs;
        sumSq += o.sumSq;
        sumSmape += o.sumSmape;
        sumAbsNorm += o.sumAbsNorm;
        sumSqNorm += o.sumSqNorm;
        scaledCount += o.scaledCount;
        sumScaledAbs += o.sumScaledAbs;
        return this;
    }

    public ErrorAccumulator copy() {
        return new ErrorAccumulator().merge(this);
    }

    public long count() {
        return count;
    }

    public double mae() {
        return count == 0 ? Double.NaN : sumAbs / count;
    }

    public double rmse() {
        return count == 0 ? Double.NaN : Math.sqrt(sumSq / count);
    }

    /** Symmetric MAPE in percent, in [0, 200]. */
    public double smape() {
        return count == 0 ? Double.NaN : sumSmape / count;
    }

    public double mase() {
        return scaledCount == 0 ? Double.NaN : sumScaledAbs / scaledCount;
    }

    public double mseNormalized() {
        return count == 0 ? Double.NaN : sumSqNorm / count;
    }

    public double maeNormalized() {
        return count == 0 ? Double.NaN : sumAbsNorm / count;
    }

    /** The metrics by name, in a fixed order (NaN where undefined). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("mae", mae());
        m.put("rmse", rmse());
        m.put("smape", smape());
        m.put("mase", mase());
        m.put("mse_norm", mseNormalized());
        m.put("mae_norm", maeNormalized());
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorAccumulator a && count == a.count && scaledCount == a.scaledCount
                && close(sumAbs, a.sumAbs) && close(sumSq, a.sumSq) && close(sumSmape, a.sumSmape)
                && close(sumAbsNorm, a.sumAbsNorm) && close(sumSqNorm, a.sumSqNorm)
                && close(sumScaledAbs, a.sumScaledAbs);
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
    }

    @Override
    public int hashCode() {
        return Long.hashCode(count);
    }

    @Override
    public String toString() {
        return "ErrorAccumulator" + toMap();
    }
}
