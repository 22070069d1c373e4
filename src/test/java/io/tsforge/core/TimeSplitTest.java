package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TimeSplitTest {

    private static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
    private static final long H = 3_600_000L;

    static Segment segment(int index, long startTs, int length) {
        double[][] values = new double[1][length];
        return new Segment("s", index, startTs, H, values, new boolean[length], new int[length]);
    }

    /** The labels of a segment as a string, one letter per step: R(ain), V, T, N. */
    static String labels(Segment s) {
        StringBuilder b = new StringBuilder();
        for (byte code : s.split) {
            b.append("RVTN".charAt(SplitLabel.of(code).ordinal()));
        }
        return b.toString();
    }

    @Test
    void absoluteBoundsAreExclusiveEnds() {
        TimeSplit split = TimeSplit.absolute(T0 + 3 * H, T0 + 5 * H, T0 + 7 * H);
        assertTrue(split.isAbsolute());
        Segment s = segment(0, T0, 9);
        split.assign(List.of(s));
        assertEquals("RRRVVTTNN", labels(s));
    }

    @Test
    void absoluteByTimeAtTheBoundaries() {
        TimeSplit split = TimeSplit.absolute(T0 + 3 * H, T0 + 5 * H, T0 + 7 * H);
        assertEquals(SplitLabel.TRAIN, split.byTime(Long.MIN_VALUE + 1));
        assertEquals(SplitLabel.TRAIN, split.byTime(T0 + 3 * H - 1));
        assertEquals(SplitLabel.VALIDATION, split.byTime(T0 + 3 * H));
        assertEquals(SplitLabel.VALIDATION, split.byTime(T0 + 5 * H - 1));
        assertEquals(SplitLabel.TEST, split.byTime(T0 + 5 * H));
        assertEquals(SplitLabel.TEST, split.byTime(T0 + 7 * H - 1));
        assertEquals(SplitLabel.NONE, split.byTime(T0 + 7 * H));
        assertEquals(SplitLabel.NONE, split.byTime(Long.MAX_VALUE));
    }

    @Test
    void absoluteWithoutTestEndIsTestForever() {
        TimeSplit split = TimeSplit.absolute(T0 + H, T0 + 2 * H, null);
        assertEquals(SplitLabel.TEST, split.byTime(Long.MAX_VALUE));
        Segment s = segment(0, T0, 4);
        split.assign(List.of(s));
        assertEquals("RVTT", labels(s));
    }

    @Test
    void absoluteAppliesToEverySegmentByItsOwnTimestamps() {
        TimeSplit split = TimeSplit.absolute(T0 + 3 * H, T0 + 5 * H, T0 + 7 * H);
        Segment a = segment(0, T0 + H, 3);     // steps at 1h, 2h, 3h
        Segment b = segment(1, T0 + 6 * H, 3); // steps at 6h, 7h, 8h
        split.assign(List.of(a, b));
        assertEquals("RRV", labels(a));
        assertEquals("TNN", labels(b));
    }

    @Test
    void equalTrainAndValidationEndsLeaveNoValidation() {
        TimeSplit split = TimeSplit.absolute(T0 + 2 * H, T0 + 2 * H, T0 + 2 * H);
        Segment s = segment(0, T0, 4);
        split.assign(List.of(s));
        assertEquals("RRNN", labels(s));
    }

    @Test
    void fractionsCountStepsAcrossTheSeriesSegmentsWithFloor() {
        TimeSplit split = TimeSplit.fractions(0.7, 0.2);
        assertFalse(split.isAbsolute());
        Segment a = segment(0, T0, 6);
        Segment b = segment(1, T0 + 20 * H, 4);
        split.assign(List.of(a, b)); // 10 steps: 7 train, 2 validation, 1 test
        assertEquals("RRRRRR", labels(a));
        assertEquals("RVVT", labels(b));
    }

    @Test
    void fractionsFloorBothParts() {
        TimeSplit split = TimeSplit.fractions(0.75, 0.15);
        Segment a = segment(0, T0, 5);
        Segment b = segment(1, T0 + 9 * H, 5);
        split.assign(List.of(a, b)); // floor(7.5) = 7 train, floor(1.5) = 1 validation, 2 test
        assertEquals("RRRRR", labels(a));
        assertEquals("RRVTT", labels(b));
    }

    @Test
    void fractionsArePerSeries() {
        TimeSplit split = TimeSplit.fractions(0.5, 0.25);
        Segment longer = segment(0, T0, 8);
        Segment shorter = segment(0, T0, 4);
        split.assign(List.of(longer));
        split.assign(List.of(shorter));
        assertEquals("RRRRVVTT", labels(longer));
        assertEquals("RRVT", labels(shorter));
    }

    @Test
    void fractionOneIsAllTrainAndZeroValidationIsAllowed() {
        Segment s = segment(0, T0, 3);
        TimeSplit.fractions(1.0, 0.0).assign(List.of(s));
        assertEquals("RRR", labels(s));
        TimeSplit.fractions(0.4, 0.0).assign(List.of(s));
        assertEquals("RTT", labels(s));
    }

    @Test
    void fractionsOfASingleStepSeries() {
        Segment s = segment(0, T0, 1);
        TimeSplit.fractions(0.7, 0.2).assign(List.of(s)); // floor(0.7) = 0 train
        assertEquals("T", labels(s));
    }

    @Test
    void validationEndBeforeTrainEndIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimeSplit.absolute(T0 + 5 * H, T0 + 4 * H, null));
        assertEquals("split.validationEnd must not be before split.trainEnd", e.getMessage());
    }

    @Test
    void testEndBeforeValidationEndIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimeSplit.absolute(T0, T0 + 4 * H, T0 + 3 * H));
        assertEquals("split.testEnd must not be before split.validationEnd", e.getMessage());
    }

    @Test
    void trainEndWithoutValidationEndIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TimeSplit(T0, null, null, 0, 0));
        assertTrue(e.getMessage().contains("split.trainEnd and split.validationEnd go together"), e.getMessage());
    }

    @Test
    void fractionsSummingOverOneAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimeSplit.fractions(0.8, 0.3));
        assertTrue(e.getMessage().contains("split.validationFraction"), e.getMessage());
        assertTrue(e.getMessage().contains("trainFraction + validationFraction <= 1"), e.getMessage());
        assertTrue(e.getMessage().contains("0.3"), e.getMessage());
    }

    @Test
    void badFractionsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TimeSplit.fractions(0, 0));
        assertEquals("split.trainFraction must be in (0, 1], found 0.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TimeSplit.fractions(1.5, 0));
        assertThrows(IllegalArgumentException.class, () -> TimeSplit.fractions(Double.NaN, 0));
        e = assertThrows(IllegalArgumentException.class, () -> TimeSplit.fractions(0.5, -0.1));
        assertTrue(e.getMessage().contains("split.validationFraction"), e.getMessage());
    }

    @Test
    void splitLabelCodesRoundTrip() {
        for (SplitLabel l : SplitLabel.values()) {
            assertEquals(l, SplitLabel.of(l.code()));
        }
        assertEquals(0, SplitLabel.TRAIN.code());
        assertEquals("validation", SplitLabel.VALIDATION.label);
        assertEquals("none", SplitLabel.NONE.label);
    }
}
