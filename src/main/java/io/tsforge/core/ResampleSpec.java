package io.tsforge.core;

import java.io.Serializable;

/**
 * How one series is turned into a regular grid: duplicate resolution, the step and its aggregation, and which gaps are
 * filled. Validated here so that a bad value can never reach a partition.
 */
public record ResampleSpec(Frequency frequency, long alignOffsetMillis, Aggregation aggregation,
                           Duplicates duplicates, int maxGapFill, GapFill gapFill) implements Serializable {

    /** How several readings inside one step become one value. */
    public enum Aggregation { MEAN, LAST, SUM, MAX }

    /** How readings with the same series and timestamp are resolved. */
    public enum Duplicates { LAST, FIRST, MEAN }

    /** How a short gap is filled. */
    public enum GapFill { LINEAR, FFILL }

    public ResampleSpec {
        if (frequency == null) {
            throw new IllegalArgumentException("series.frequency is required");
        }
        if (maxGapFill < 0) {
            throw new IllegalArgumentException("series.maxGapFill must be >= 0, found " + maxGapFill);
        }
    }
}
