package io.tsforge.core;

import java.io.Serializable;

/**
 * A gap-free, regularly spaced run of one series: {@code values[feature][step]} at {@code startTs + step * stepMillis}.
 * {@code filled[step]} marks steps that were interpolated; {@code rawRows[step]} counts the readings aggregated into
 * the step. {@code split} holds each step's {@link SplitLabel} code once the series has been split.
 */
public final class Segment implements Serializable {
    public final String seriesId;
    public final int index;
    public final long startTs;
    public final long stepMillis;
    public final double[][] values;
    public final boolean[] filled;
    public final int[] rawRows;
    public byte[] split;

    public Segment(String seriesId, int index, long startTs, long stepMillis,
                   double[][] values, boolean[] filled, int[] rawRows) {
        this.seriesId = seriesId;
        this.index = index;
        this.startTs = startTs;
        this.stepMillis = stepMillis;
        this.values = values;
        this.filled = filled;
        this.rawRows = rawRows;
    }

    public int length() {
        return filled.length;
    }

    public int features() {
        return values.length;
    }

    public long timestamp(int step) {
        return startTs + step * stepMillis;
    }

    public long endTs() {
        return timestamp(length() - 1);
    }
}
