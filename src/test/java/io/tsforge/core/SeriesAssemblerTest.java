package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsforge.core.ResampleSpec.Aggregation;
import io.tsforge.core.ResampleSpec.Duplicates;
import io.tsforge.core.ResampleSpec.GapFill;
import org.junit.jupiter.api.Test;

class SeriesAssemblerTest {

    private static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
    private static final long MIN = 60_000L;
    private static final long H = 3_600_000L;
    private static final double EPS = 1e-12;

    private static ResampleSpec spec(Aggregation agg, Duplicates dup, int maxGapFill, GapFill fill) {
        return new ResampleSpec(Frequency.parse("1h"), 0L, agg, dup, maxGapFill, fill);
    }

    private static SeriesAssembler assembler(Aggregation agg, Duplicates dup, int maxGapFill, GapFill fill) {
        return new SeriesAssembler("s1", spec(agg, dup, maxGapFill, fill), 1);
    }

    private static double[] x(double... v) {
        return v;
    }

    private static Segment only(AssembledSeries a) {
        assertEquals(1, a.segments().size(), "segments");
        return a.segments().get(0);
    }

    // ---------------------------------------------------------------- duplicates

    private static AssembledSeries duplicates(Duplicates d) {
        SeriesAssembler s = assembler(Aggregation.MEAN, d, 0, GapFill.LINEAR);
        s.add(T0, x(1));
        s.add(T0, x(2));
        s.add(T0, x(6));
        return s.finish();
    }

    @Test
    void duplicatesLastKeepsTheLastReading() {
        AssembledSeries a = duplicates(Duplicates.LAST);
        Segment seg = only(a);
        assertEquals(1, seg.length());
        assertEquals(6.0, seg.values[0][0]);
        assertEquals(1, a.rowsUsed());
        assertEquals(2, a.rowsDuplicate());
        assertEquals(3, seg.rawRows[0]);
    }

    @Test
    void duplicatesFirstKeepsTheFirstReading() {
        AssembledSeries a = duplicates(Duplicates.FIRST);
        assertEquals(1.0, only(a).values[0][0]);
        assertEquals(1, a.rowsUsed());
        assertEquals(2, a.rowsDuplicate());
    }

    @Test
    void duplicatesMeanAveragesTheReadings() {
        AssembledSeries a = duplicates(Duplicates.MEAN);
        assertEquals(3.0, only(a).values[0][0], EPS);
        assertEquals(1, a.rowsUsed());
        assertEquals(2, a.rowsDuplicate());
    }

    @Test
    void duplicatesAreResolvedBeforeTheStepIsAggregated() {
        // the pair at T0 counts once in the step's mean: (mean(1, 3) + 10) / 2 = 6, not (1 + 3 + 10) / 3
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.MEAN, 0, GapFill.LINEAR);
        s.add(T0, x(1));
        s.add(T0, x(3));
        s.add(T0 + 10 * MIN, x(10));
        AssembledSeries a = s.finish();
        assertEquals(6.0, only(a).values[0][0], EPS);
        assertEquals(2, a.rowsUsed());
        assertEquals(1, a.rowsDuplicate());
        assertEquals(3, only(a).rawRows[0]);
    }

    @Test
    void duplicatesOnlyWhenTheTimestampIsIdentical() {
        SeriesAssembler s = assembler(Aggregation.LAST, Duplicates.FIRST, 0, GapFill.LINEAR);
        s.add(T0, x(1));
        s.add(T0 + 1, x(2));
        AssembledSeries a = s.finish();
        assertEquals(2.0, only(a).values[0][0]);
        assertEquals(2, a.rowsUsed());
        assertEquals(0, a.rowsDuplicate());
    }

    // ---------------------------------------------------------------- aggregation

    private static Segment aggregate(Aggregation agg, double... readings) {
        SeriesAssembler s = assembler(agg, Duplicates.LAST, 0, GapFill.LINEAR);
        for (int i = 0; i < readings.length; i++) {
            s.add(T0 + i * 10 * MIN, x(readings[i])); // all inside the step [T0, T0 + 1h)
        }
        s.add(T0 + H + 5 * MIN, x(100)); // the next step
        AssembledSeries a = s.finish();
        assertEquals(readings.length + 1, a.rowsUsed());
        Segment seg = only(a);
        assertEquals(2, seg.length());
        assertEquals(T0, seg.startTs);
        assertEquals(100.0, seg.values[0][1]);
        assertEquals(readings.length, seg.rawRows[0]);
        assertEquals(1, seg.rawRows[1]);
        return seg;
    }

    @Test
    void aggregationMean() {
        assertEquals(3.5, aggregate(Aggregation.MEAN, 4, 1, 7, 2).values[0][0], EPS);
    }

    @Test
    void aggregationLast() {
        assertEquals(2.0, aggregate(Aggregation.LAST, 4, 1, 7, 2).values[0][0]);
    }

    @Test
    void aggregationSum() {
        assertEquals(14.0, aggregate(Aggregation.SUM, 4, 1, 7, 2).values[0][0], EPS);
    }

    @Test
    void aggregationMax() {
        assertEquals(7.0, aggregate(Aggregation.MAX, 4, 1, 7, 2).values[0][0]);
    }

    @Test
    void aggregationMaxOfNegativeValues() {
        assertEquals(-3.0, aggregate(Aggregation.MAX, -5, -3, -9).values[0][0]);
    }

    @Test
    void stepsFollowTheAlignmentOffset() {
        ResampleSpec sp = new ResampleSpec(Frequency.parse("1h"), 15 * MIN, Aggregation.SUM, Duplicates.LAST, 0,
                GapFill.LINEAR);
        SeriesAssembler s = new SeriesAssembler("s1", sp, 1);
        s.add(T0 + 10 * MIN, x(1)); // step [T0 - 45min, T0 + 15min)
        s.add(T0 + 20 * MIN, x(2)); // step [T0 + 15min, T0 + 75min)
        s.add(T0 + 70 * MIN, x(4));
        Segment seg = only(s.finish());
        assertEquals(T0 - 45 * MIN, seg.startTs);
        assertEquals(2, seg.length());
        assertArrayEquals(new double[] {1, 6}, seg.values[0]);
    }

    // ---------------------------------------------------------------- gaps

    private static AssembledSeries gapOfThree(GapFill fill, int maxGapFill) {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, maxGapFill, fill);
        s.add(T0, x(1));
        s.add(T0 + 4 * H, x(9)); // steps 1, 2 and 3 missing
        return s.finish();
    }

    @Test
    void shortGapFilledLinearly() {
        AssembledSeries a = gapOfThree(GapFill.LINEAR, 3);
        Segment seg = only(a);
        assertEquals(5, seg.length());
        assertArrayEquals(new double[] {1, 3, 5, 7, 9}, seg.values[0], EPS);
        assertArrayEquals(new boolean[] {false, true, true, true, false}, seg.filled);
        assertArrayEquals(new int[] {1, 0, 0, 0, 1}, seg.rawRows);
        assertEquals(3, a.stepsFilled());
        assertEquals(1, a.gapsFilled());
        assertEquals(0, a.gapsSplit());
        assertEquals(T0 + 4 * H, seg.endTs());
    }

    @Test
    void shortGapFilledForward() {
        AssembledSeries a = gapOfThree(GapFill.FFILL, 5);
        Segment seg = only(a);
        assertArrayEquals(new double[] {1, 1, 1, 1, 9}, seg.values[0]);
        assertArrayEquals(new boolean[] {false, true, true, true, false}, seg.filled);
        assertEquals(3, a.stepsFilled());
        assertEquals(1, a.gapsFilled());
    }

    @Test
    void twoShortGapsAreCountedSeparately() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 2, GapFill.LINEAR);
        s.add(T0, x(0));
        s.add(T0 + 2 * H, x(4)); // one missing step
        s.add(T0 + 3 * H, x(5));
        s.add(T0 + 6 * H, x(2)); // two missing steps
        AssembledSeries a = s.finish();
        Segment seg = only(a);
        assertArrayEquals(new double[] {0, 2, 4, 5, 4, 3, 2}, seg.values[0], EPS);
        assertArrayEquals(new boolean[] {false, true, false, false, true, true, false}, seg.filled);
        assertEquals(3, a.stepsFilled());
        assertEquals(2, a.gapsFilled());
        assertEquals(7, a.totalSteps());
    }

    @Test
    void longGapStartsANewSegment() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 2, GapFill.LINEAR);
        s.add(T0, x(1));
        s.add(T0 + H, x(2));
        s.add(T0 + 5 * H, x(3)); // steps 2, 3 and 4 missing: 3 > maxGapFill 2
        s.add(T0 + 6 * H, x(4));
        s.add(T0 + 7 * H, x(5));
        AssembledSeries a = s.finish();
        assertEquals(2, a.segments().size());
        Segment first = a.segments().get(0);
        Segment second = a.segments().get(1);
        assertEquals(0, first.index);
        assertEquals(1, second.index);
        assertEquals("s1", second.seriesId);
        assertEquals(T0, first.startTs);
        assertEquals(T0 + 5 * H, second.startTs);
        assertEquals(H, second.stepMillis);
        assertArrayEquals(new double[] {1, 2}, first.values[0]);
        assertArrayEquals(new double[] {3, 4, 5}, second.values[0]);
        assertArrayEquals(new boolean[] {false, false, false}, second.filled);
        assertEquals(1, a.gapsSplit());
        assertEquals(0, a.gapsFilled());
        assertEquals(0, a.stepsFilled());
        assertEquals(5, a.totalSteps());
        assertEquals(T0 + 7 * H, second.endTs());
        assertEquals(T0 + 6 * H, second.timestamp(1));
    }

    @Test
    void maxGapFillZeroSplitsAtAnyGap() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 0, GapFill.LINEAR);
        s.add(T0, x(1));
        s.add(T0 + 2 * H, x(2));
        s.add(T0 + 3 * H, x(3));
        s.add(T0 + 5 * H, x(4));
        AssembledSeries a = s.finish();
        assertEquals(3, a.segments().size());
        assertEquals(T0, a.segments().get(0).startTs);
        assertEquals(T0 + 2 * H, a.segments().get(1).startTs);
        assertEquals(T0 + 5 * H, a.segments().get(2).startTs);
        assertEquals(2, a.segments().get(1).length());
        assertEquals(2, a.segments().get(2).index);
        assertEquals(2, a.gapsSplit());
        assertEquals(0, a.stepsFilled());
    }

    // ---------------------------------------------------------------- order, edges

    @Test
    void readingsOutOfOrderThrow() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 0, GapFill.LINEAR);
        s.add(T0 + H, x(1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.add(T0, x(2)));
        assertTrue(e.getMessage().contains("'s1'"), e.getMessage());
        assertTrue(e.getMessage().contains("sorted"), e.getMessage());
    }

    @Test
    void readingsOutOfOrderInsideOneStepThrowToo() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 0, GapFill.LINEAR);
        s.add(T0 + 10 * MIN, x(1));
        assertThrows(IllegalStateException.class, () -> s.add(T0 + 9 * MIN, x(2)));
    }

    @Test
    void singleReadingGivesAOneStepSegment() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 3, GapFill.LINEAR);
        s.add(T0 + 17 * MIN, x(42));
        AssembledSeries a = s.finish();
        Segment seg = only(a);
        assertEquals(1, seg.length());
        assertEquals(T0, seg.startTs);
        assertEquals(T0, seg.endTs());
        assertEquals(42.0, seg.values[0][0]);
        assertArrayEquals(new boolean[] {false}, seg.filled);
        assertEquals(1, a.rowsUsed());
        assertEquals(1, a.totalSteps());
    }

    @Test
    void noReadingsGiveNoSegment() {
        AssembledSeries a = assembler(Aggregation.MEAN, Duplicates.LAST, 3, GapFill.LINEAR).finish();
        assertEquals("s1", a.seriesId());
        assertEquals(0, a.segments().size());
        assertEquals(0, a.totalSteps());
        assertEquals(0, a.rowsUsed());
    }

    @Test
    void longSeriesGrowsItsBuffers() {
        SeriesAssembler s = assembler(Aggregation.LAST, Duplicates.LAST, 0, GapFill.LINEAR);
        for (int i = 0; i < 300; i++) {
            s.add(T0 + i * H, x(i * 0.5));
        }
        Segment seg = only(s.finish());
        assertEquals(300, seg.length());
        for (int i = 0; i < 300; i++) {
            assertEquals(i * 0.5, seg.values[0][i]);
            assertEquals(1, seg.rawRows[i]);
        }
        assertEquals(T0 + 299 * H, seg.endTs());
    }

    // ---------------------------------------------------------------- non-finite values

    @Test
    void stepWhoseOnlyReadingIsNaNBecomesAFilledGap() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 1, GapFill.LINEAR);
        s.add(T0, x(1));
        s.add(T0 + H, x(Double.NaN));
        s.add(T0 + 2 * H, x(3));
        AssembledSeries a = s.finish();
        Segment seg = only(a);
        assertArrayEquals(new double[] {1, 2, 3}, seg.values[0], EPS);
        assertArrayEquals(new boolean[] {false, true, false}, seg.filled);
        assertEquals(1, a.stepsIncomplete());
        assertEquals(1, a.stepsFilled());
        assertEquals(1, a.gapsFilled());
        assertEquals(3, a.rowsUsed());
    }

    @Test
    void incompleteStepSplitsWhenGapsAreNotFilled() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 0, GapFill.LINEAR);
        s.add(T0, x(1));
        s.add(T0 + H, x(Double.NaN));
        s.add(T0 + 2 * H, x(3));
        AssembledSeries a = s.finish();
        assertEquals(2, a.segments().size());
        assertEquals(1, a.stepsIncomplete());
        assertEquals(1, a.gapsSplit());
    }

    @Test
    void nanIsIgnoredWhenTheStepHasAFiniteReading() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 0, GapFill.LINEAR);
        s.add(T0, x(Double.NaN));
        s.add(T0 + 10 * MIN, x(4));
        s.add(T0 + 20 * MIN, x(Double.NaN));
        s.add(T0 + 30 * MIN, x(8));
        AssembledSeries a = s.finish();
        Segment seg = only(a);
        assertEquals(6.0, seg.values[0][0], EPS);
        assertEquals(4, seg.rawRows[0]);
        assertEquals(0, a.stepsIncomplete());
    }

    @Test
    void duplicatesMeanIgnoresNaN() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.MEAN, 0, GapFill.LINEAR);
        s.add(T0, x(2));
        s.add(T0, x(Double.NaN));
        s.add(T0, x(4));
        AssembledSeries a = s.finish();
        assertEquals(3.0, only(a).values[0][0], EPS);
        assertEquals(0, a.stepsIncomplete());
    }

    @Test
    void leadingAndTrailingIncompleteStepsAreDropped() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.LAST, 5, GapFill.LINEAR);
        s.add(T0, x(Double.NaN));
        s.add(T0 + H, x(1));
        s.add(T0 + 2 * H, x(2));
        s.add(T0 + 3 * H, x(Double.NaN));
        AssembledSeries a = s.finish();
        Segment seg = only(a);
        assertEquals(T0 + H, seg.startTs);
        assertArrayEquals(new double[] {1, 2}, seg.values[0]);
        assertEquals(2, a.stepsIncomplete());
        assertEquals(0, a.stepsFilled());
    }

    // ---------------------------------------------------------------- accounting, features

    @Test
    void everyReadingIsEitherUsedOrDuplicate() {
        SeriesAssembler s = assembler(Aggregation.MEAN, Duplicates.MEAN, 1, GapFill.LINEAR);
        long[] ts = {T0, T0, T0 + 5 * MIN, T0 + H, T0 + H, T0 + H, T0 + 3 * H, T0 + 3 * H + MIN, T0 + 9 * H};
        for (int i = 0; i < ts.length; i++) {
            s.add(ts[i], x(i));
        }
        AssembledSeries a = s.finish();
        assertEquals(6, a.rowsUsed());
        assertEquals(3, a.rowsDuplicate());
        assertEquals(ts.length, a.rowsUsed() + a.rowsDuplicate());
        int rawRows = 0;
        for (Segment seg : a.segments()) {
            for (int r : seg.rawRows) {
                rawRows += r;
            }
        }
        assertEquals(ts.length, rawRows);
        assertEquals(2, a.segments().size());
        assertEquals(1, a.gapsFilled());
        assertEquals(1, a.gapsSplit());
    }

    @Test
    void multiFeatureValuesAreAssembledPerFeature() {
        SeriesAssembler s = new SeriesAssembler("m", spec(Aggregation.MEAN, Duplicates.LAST, 1, GapFill.LINEAR), 2);
        s.add(T0, x(1, 10));
        s.add(T0 + 30 * MIN, x(3, 30));
        s.add(T0 + 2 * H, x(4, -20));     // step 1 missing -> filled
        s.add(T0 + 3 * H, x(5, Double.NaN)); // one feature without a finite value -> whole step missing
        s.add(T0 + 4 * H, x(8, 0));
        AssembledSeries a = s.finish();
        Segment seg = only(a);
        assertEquals(2, seg.features());
        assertEquals(5, seg.length());
        assertArrayEquals(new double[] {2, 3, 4, 6, 8}, seg.values[0], EPS);
        assertArrayEquals(new double[] {20, 0, -20, -10, 0}, seg.values[1], EPS);
        assertArrayEquals(new boolean[] {false, true, false, true, false}, seg.filled);
        assertEquals(1, a.stepsIncomplete());
        assertEquals(2, a.stepsFilled());
        assertEquals(2, a.gapsFilled());
        assertEquals(5, a.rowsUsed());
    }

    @Test
    void resampleSpecValidation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ResampleSpec(Frequency.parse("1h"), 0, Aggregation.MEAN, Duplicates.LAST, -1, GapFill.LINEAR));
        assertTrue(e.getMessage().contains("series.maxGapFill"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ResampleSpec(null, 0, Aggregation.MEAN, Duplicates.LAST, 0, GapFill.LINEAR));
        assertTrue(e.getMessage().contains("series.frequency"), e.getMessage());
    }

    /** Random readings of one series: out-of-step times, duplicates, NaN, gaps short and long. */
    private static java.util.List<double[]> readings(java.util.SplittableRandom rnd) {
        java.util.List<double[]> out = new java.util.ArrayList<>();
        long t = T0 + rnd.nextInt(60) * MIN;
        int n = rnd.nextInt(1, 400);
        for (int i = 0; i < n; i++) {
            int r = rnd.nextInt(20);
            t += r == 0 ? 0 : r == 1 ? (2 + rnd.nextInt(6)) * H : rnd.nextInt(20, 70) * MIN;
            out.add(new double[]{t, rnd.nextInt(30) == 0 ? Double.NaN : rnd.nextGaussian(), rnd.nextDouble()});
        }
        return out;
    }

    @Test
    void aResetAssemblerAssemblesAsANewOne() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(21);
        for (Aggregation agg : Aggregation.values()) {
            for (Duplicates dup : Duplicates.values()) {
                for (GapFill fill : GapFill.values()) {
                    ResampleSpec spec = spec(agg, dup, 2, fill);
                    SeriesAssembler reused = null;
                    for (int k = 0; k < 6; k++) {
                        java.util.List<double[]> in = readings(rnd);
                        SeriesAssembler fresh = new SeriesAssembler("s" + k, spec, 2);
                        reused = reused == null ? new SeriesAssembler("s" + k, spec, 2) : reused.reset("s" + k);
                        for (double[] r : in) {
                            fresh.add((long) r[0], new double[]{r[1], r[2]});
                            reused.add((long) r[0], new double[]{r[1], r[2]});
                        }
                        AssembledSeries a = fresh.finish();
                        AssembledSeries b = reused.finish();
                        assertEquals(a.seriesId(), b.seriesId());
                        assertEquals(java.util.List.of(a.rowsUsed(), a.rowsDuplicate(), a.stepsFilled(), a.gapsFilled(),
                                a.gapsSplit(), a.stepsIncomplete()), java.util.List.of(b.rowsUsed(), b.rowsDuplicate(),
                                b.stepsFilled(), b.gapsFilled(), b.gapsSplit(), b.stepsIncomplete()));
                        assertEquals(a.segments().size(), b.segments().size());
                        for (int i = 0; i < a.segments().size(); i++) {
                            Segment x = a.segments().get(i);
                            Segment y = b.segments().get(i);
                            assertEquals(x.seriesId, y.seriesId);
                            assertEquals(x.index, y.index);
                            assertEquals(x.startTs, y.startTs);
                            assertEquals(x.length(), y.length());
                            for (int f = 0; f < 2; f++) {
                                assertArrayEquals(x.values[f], y.values[f], 0.0);
                            }
                            assertArrayEquals(x.filled, y.filled);
                            assertArrayEquals(x.rawRows, y.rawRows);
                        }
                    }
                }
            }
        }
    }
}
