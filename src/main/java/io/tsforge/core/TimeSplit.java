package io.tsforge.core;

import java.io.Serializable;
import java.util.List;

/**
 * Assigns every step of a series to train, validation or test by time: either absolute bounds (exclusive ends) shared by
 * all series, or fractions of each series' own steps. Steps at or after {@code testEnd} (when set) are {@code NONE}.
 */
public record TimeSplit(Long trainEnd, Long validationEnd, Long testEnd,
                        double trainFraction, double validationFraction) implements Serializable {

    public TimeSplit {
        boolean absolute = trainEnd != null || validationEnd != null;
        if (absolute) {
            if (trainEnd == null || validationEnd == null) {
                throw new IllegalArgumentException("split.trainEnd and split.validationEnd go together, found "
                        + "trainEnd=" + trainEnd + " validationEnd=" + validationEnd);
            }
            if (validationEnd < trainEnd) {
                throw new IllegalArgumentException("split.validationEnd must not be before split.trainEnd");
            }
            if (testEnd != null && testEnd < validationEnd) {
                throw new IllegalArgumentException("split.testEnd must not be before split.validationEnd");
            }
        } else {
            if (!(trainFraction > 0 && trainFraction <= 1)) {
                throw new IllegalArgumentException("split.trainFraction must be in (0, 1], found " + trainFraction);
            }
            if (!(validationFraction >= 0 && trainFraction + validationFraction <= 1)) {
                throw new IllegalArgumentException("split.validationFraction must be >= 0 with trainFraction + "
                        + "validationFraction <= 1, found " + validationFraction);
            }
        }
    }

    public static TimeSplit absolute(long trainEnd, long validationEnd, Long testEnd) {
        return new TimeSplit(trainEnd, validationEnd, testEnd, 0, 0);
    }

    public static TimeSplit fractions(double train, double validation) {
        return new TimeSplit(null, null, null, train, validation);
    }

    public boolean isAbsolute() {
        return trainEnd != null;
    }

    /** Sets {@link Segment#split} on every segment of one series (segments in time order). */
    public void assign(List<Segment> segments) {
        if (isAbsolute()) {
            for (Segment s : segments) {
                s.split = new byte[s.length()];
                for (int i = 0; i < s.length(); i++) {
                    s.split[i] = byTime(s.timestamp(i)).code();
                }
            }
            return;
        }
        int total = 0;
        for (Segment s : segments) {
            total += s.length();
        }
        // the epsilon keeps e.g. 100 * 0.29 = 28.999999999999996 from losing a step
        long nTrain = (long) Math.floor(total * trainFraction + 1e-9);
        long nVal = (long) Math.floor(total * validationFraction + 1e-9);
        long k = 0;
        for (Segment s : segments) {
            s.split = new byte[s.length()];
            for (int i = 0; i < s.length(); i++, k++) {
                SplitLabel l = k < nTrain ? SplitLabel.TRAIN : k < nTrain + nVal ? SplitLabel.VALIDATION : SplitLabel.TEST;
                s.split[i] = l.code();
            }
        }
    }

    public SplitLabel byTime(long ts) {
        if (!isAbsolute()) {
            throw new IllegalStateException("a fractional split has no time bounds; use assign()");
        }
        if (ts < trainEnd) {
            return SplitLabel.TRAIN;
        }
        if (ts < validationEnd) {
            return SplitLabel.VALIDATION;
        }
        return testEnd == null || ts < testEnd ? SplitLabel.TEST : SplitLabel.NONE;
    }
}
