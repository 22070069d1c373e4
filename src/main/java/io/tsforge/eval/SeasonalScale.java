package io.tsforge.eval;

import java.io.Serializable;

/**
 * The MASE denominator of one series: the in-sample MAE of the seasonal-naive forecast {@code y[t - season]} (the
 * naive forecast when {@code season} is 1) over the training range. Pairs never cross a segment boundary; segments
 * add separately and merge.
 */
public final class SeasonalScale implements Serializable {

    private final int season;
    private long count;
    private double sumAbs;

    public SeasonalScale(int season) {
        if (season < 1) {
            throw new IllegalArgumentException("season must be >= 1, found " + season);
        }
        this.season = season;
    }

    /** Adds the pairs {@code (t - season, t)} of one segment where both steps are in the fitting range. */
    public SeasonalScale addSegment(double[] y, boolean[] inRange) {
        if (y.length != inRange.length) {
            throw new IllegalArgumentException("values and range flags differ in length: " + y.length + " vs "
                    + inRange.length);
        }
        for (int t = season; t < y.length; t++) {
            if (inRange[t] && inRange[t - season]) {
                count++;
                sumAbs += Math.abs(y[t] - y[t - season]);
            }
        }
        return this;
    }

    public SeasonalScale merge(SeasonalScale o) {
        if (o.season != season) {
            throw new IllegalArgumentException("cannot merge seasons " + season + " and " + o.season);
        }
        count += o.count;
        sumAbs += o.sumAbs;
        return this;
    }

    public long count() {
        return count;
    }

    /** The scale, or NaN when no pair was seen. 0 for a constant training range (MASE then leaves it out). */
    public double scale() {
        return count == 0 ? Double.NaN : sumAbs / count;
    }
}
