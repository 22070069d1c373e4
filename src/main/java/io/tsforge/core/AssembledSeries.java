package io.tsforge.core;

import java.io.Serializable;
import java.util.List;

/**
 * One series after assembly, with the counts that let a job account for every input row:
 * {@code rowsUsed} readings went into steps, {@code rowsDuplicate} were dropped as repeats of a timestamp.
 * {@code stepsIncomplete} steps had a non-finite value left and were treated as missing.
 */
public record AssembledSeries(String seriesId, List<Segment> segments, long rowsUsed, long rowsDuplicate,
                              long stepsFilled, long gapsFilled, long gapsSplit,
                              long stepsIncomplete) implements Serializable {

    public int totalSteps() {
        int n = 0;
        for (Segment s : segments) {
            n += s.length();
        }
        return n;
    }
}
