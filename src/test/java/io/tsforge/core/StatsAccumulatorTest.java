package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatsAccumulatorTest {

    private static StatsAccumulator of(boolean keep, double... xs) {
        StatsAccumulator s = new StatsAccumulator(1, keep);
        for (double x : xs) {
            s.add(new double[] {x});
        }
        return s;
    }

    private static void assertRel(double expected, double actual, double rel, String what) {
        assertEquals(expected, actual, Math.abs(expected) * rel, what);
    }

    private static double[] random(long seed, int n) {
        Random r = new Random(seed);
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = r.nextGaussian() * 3.0 + 10.0;
        }
        return xs;
    }

    /** Exact population variance of the given doubles, computed in decimal. */
    static double exactVariance(double[] xs) {
        MathContext mc = MathContext.DECIMAL128;
        BigDecimal sum = BigDecimal.ZERO;
        for (double x : xs) {
            sum = sum.add(new BigDecimal(x));
        }
        BigDecimal mean = sum.divide(BigDecimal.valueOf(xs.length), mc);
        BigDecimal ss = BigDecimal.ZERO;
        for (double x : xs) {
            BigDecimal d = new BigDecimal(x).subtract(mean);
            ss = ss.add(d.multiply(d));
        }
        return ss.divide(BigDecimal.valueOf(xs.length), mc).doubleValue();
    }

    static double exactMean(double[] xs) {
        BigDecimal sum = BigDecimal.ZERO;
        for (double x : xs) {
            sum = sum.add(new BigDecimal(x));
        }
        return sum.divide(BigDecimal.valueOf(xs.length), MathContext.DECIMAL128).doubleValue();
    }

    @Test
    void handComputedStatistics() {
        StatsAccumulator s = new StatsAccumulator(2, false);
        double[] xs = {2, 4, 4, 4, 5, 5, 7, 9};
        for (double x : xs) {
            s.add(new double[] {x, -10 * x});
        }
        assertEquals(8, s.count());
        assertEquals(2, s.features());
        assertFalse(s.keepsValues());
        assertEquals(5.0, s.mean(0), 1e-12);
        assertEquals(4.0, s.variance(0), 1e-12);
        assertEquals(2.0, s.std(0), 1e-12);
        assertEquals(2.0, s.min(0));
        assertEquals(9.0, s.max(0));
        assertEquals(-50.0, s.mean(1), 1e-12);
        assertEquals(400.0, s.variance(1), 1e-9);
        assertEquals(-90.0, s.min(1));
        assertEquals(-20.0, s.max(1));
    }

    @Test
    void singleValueHasZeroVariance() {
        StatsAccumulator s = of(false, 3.25);
        assertEquals(1, s.count());
        assertEquals(3.25, s.mean(0));
        assertEquals(0.0, s.variance(0));
        assertEquals(3.25, s.min(0));
        assertEquals(3.25, s.max(0));
    }

    @Test
    void emptyAccumulatorHasNoStatistics() {
        StatsAccumulator s = new StatsAccumulator(1, true);
        assertEquals(0, s.count());
        assertTrue(Double.isNaN(s.mean(0)));
        assertTrue(Double.isNaN(s.variance(0)));
        assertTrue(Double.isNaN(s.std(0)));
        assertTrue(Double.isNaN(s.min(0)));
        assertTrue(Double.isNaN(s.max(0)));
        assertTrue(Double.isNaN(s.quantile(0, 0.5)));
    }

    @Test
    void mergeOfTwoHalvesEqualsTheWhole() {
        double[] xs = random(20240101L, 1000);
        StatsAccumulator whole = of(false, xs);
        StatsAccumulator a = new StatsAccumulator(1, false);
        StatsAccumulator b = new StatsAccumulator(1, false);
        for (int i = 0; i < xs.length; i++) {
            (i < 500 ? a : b).add(new double[] {xs[i]});
        }
        StatsAccumulator merged = a.merge(b);
        assertSame(a, merged);
        assertEquals(1000, merged.count());
        assertRel(whole.mean(0), merged.mean(0), 1e-12, "mean");
        assertRel(whole.variance(0), merged.variance(0), 1e-12, "variance");
        assertEquals(whole.min(0), merged.min(0));
        assertEquals(whole.max(0), merged.max(0));
        // and both agree with the exact values
        assertRel(exactMean(xs), whole.mean(0), 1e-12, "exact mean");
        assertRel(exactVariance(xs), whole.variance(0), 1e-12, "exact variance");
    }

    @Test
    void mergeOfManyUnevenChunksEqualsTheWhole() {
        double[] xs = random(7L, 1000);
        StatsAccumulator whole = of(false, xs);
        StatsAccumulator total = new StatsAccumulator(1, false);
        int[] cuts = {0, 1, 2, 17, 300, 301, 650, 999, 1000};
        for (int c = 0; c + 1 < cuts.length; c++) {
            StatsAccumulator part = new StatsAccumulator(1, false);
            for (int i = cuts[c]; i < cuts[c + 1]; i++) {
                part.add(new double[] {xs[i]});
            }
            total.merge(part);
        }
        assertEquals(1000, total.count());
        assertRel(whole.mean(0), total.mean(0), 1e-12, "mean");
        assertRel(whole.variance(0), total.variance(0), 1e-12, "variance");
        assertEquals(whole.min(0), total.min(0));
        assertEquals(whole.max(0), total.max(0));
    }

    @Test
    void shuffledOrderGivesTheSameStatistics() {
        double[] xs = random(99L, 1000);
        List<Double> list = new ArrayList<>();
        for (double x : xs) {
            list.add(x);
        }
        Collections.shuffle(list, new Random(5));
        double[] shuffled = list.stream().mapToDouble(Double::doubleValue).toArray();
        StatsAccumulator a = of(true, xs);
        StatsAccumulator b = of(true, shuffled);
        assertEquals(a.count(), b.count());
        assertRel(a.mean(0), b.mean(0), 1e-12, "mean");
        assertRel(a.variance(0), b.variance(0), 1e-12, "variance");
        assertEquals(a.min(0), b.min(0));
        assertEquals(a.max(0), b.max(0));
        assertEquals(a.quantile(0, 0.5), b.quantile(0, 0.5));
        assertEquals(a.quantile(0, 0.25), b.quantile(0, 0.25));
        assertEquals(a.quantile(0, 0.75), b.quantile(0, 0.75));
    }

    @Test
    void mergeWithAnEmptyAccumulator() {
        StatsAccumulator a = of(true, 1, 2, 3, 10);
        a.merge(new StatsAccumulator(1, true));
        assertEquals(4, a.count());
        assertEquals(4.0, a.mean(0));
        assertEquals(12.5, a.variance(0), 1e-12);
        assertEquals(1.0, a.min(0));
        assertEquals(10.0, a.max(0));
        assertEquals(2.5, a.quantile(0, 0.5));

        StatsAccumulator empty = new StatsAccumulator(1, true);
        empty.merge(of(true, 1, 2, 3, 10));
        assertEquals(4, empty.count());
        assertEquals(4.0, empty.mean(0), 1e-12);
        assertEquals(12.5, empty.variance(0), 1e-12);
        assertEquals(1.0, empty.min(0));
        assertEquals(10.0, empty.max(0));
        assertEquals(2.5, empty.quantile(0, 0.5));

        StatsAccumulator both = new StatsAccumulator(1, false).merge(new StatsAccumulator(1, false));
        assertEquals(0, both.count());
        assertTrue(Double.isNaN(both.mean(0)));
    }

    @Test
    void mergeIntoEmptyKeepsTheMeanToWithinOneUlp() {
        StatsAccumulator a = of(false, 0.1, 0.1, 0.1);
        StatsAccumulator empty = new StatsAccumulator(1, false).merge(a);
        assertEquals(a.mean(0), empty.mean(0), Math.ulp(0.1));
        assertEquals(a.variance(0), empty.variance(0));
    }

    @Test
    void quantilesOfAnOddCount() {
        StatsAccumulator s = of(true, 9, 1, 8, 2, 7, 3, 6, 4, 5);
        assertEquals(5.0, s.quantile(0, 0.5));
        assertEquals(3.0, s.quantile(0, 0.25));
        assertEquals(7.0, s.quantile(0, 0.75));
        assertEquals(1.0, s.quantile(0, 0.0));
        assertEquals(9.0, s.quantile(0, 1.0));
        assertEquals(1.8, s.quantile(0, 0.1), 1e-12); // pos 0.8 between 1 and 2
    }

    @Test
    void quantilesOfAnEvenCountInterpolate() {
        StatsAccumulator s = of(true, 4, 3, 2, 1);
        assertEquals(2.5, s.quantile(0, 0.5), 1e-12);  // pos 1.5
        assertEquals(1.75, s.quantile(0, 0.25), 1e-12); // pos 0.75
        assertEquals(3.25, s.quantile(0, 0.75), 1e-12); // pos 2.25
        StatsAccumulator eight = of(true, 8, 7, 6, 5, 4, 3, 2, 1);
        assertEquals(4.5, eight.quantile(0, 0.5), 1e-12);
        assertEquals(2.75, eight.quantile(0, 0.25), 1e-12);
        assertEquals(6.25, eight.quantile(0, 0.75), 1e-12);
    }

    @Test
    void quantilesOfMergedAccumulatorsUseAllValues() {
        StatsAccumulator a = new StatsAccumulator(2, true);
        StatsAccumulator b = new StatsAccumulator(2, true);
        for (int i = 1; i <= 40; i++) {
            (i % 3 == 0 ? b : a).add(new double[] {i, -i});
        }
        a.merge(b);
        assertEquals(40, a.count());
        assertEquals(20.5, a.quantile(0, 0.5), 1e-12);
        assertEquals(10.75, a.quantile(0, 0.25), 1e-12); // pos 9.75
        assertEquals(-20.5, a.quantile(1, 0.5), 1e-12);
        assertEquals(-40.0, a.quantile(1, 0.0));
    }

    @Test
    void quantileOfSortedDirectly() {
        double[] sorted = {10, 20, 40};
        assertEquals(20.0, StatsAccumulator.quantileOfSorted(sorted, 0.5));
        assertEquals(30.0, StatsAccumulator.quantileOfSorted(sorted, 0.75));
        assertEquals(40.0, StatsAccumulator.quantileOfSorted(sorted, 1.0));
        assertEquals(7.0, StatsAccumulator.quantileOfSorted(new double[] {7}, 0.3));
    }

    @Test
    void quantileNeedsKeptValues() {
        StatsAccumulator s = of(false, 1, 2, 3);
        assertThrows(IllegalStateException.class, () -> s.quantile(0, 0.5));
    }

    @Test
    void largeOffsetWithModerateSpreadKeepsTheVariance() {
        // 1e9 + N(0, 1): the offset costs Welford nothing measurable
        Random r = new Random(3);
        double[] xs = new double[1000];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = 1e9 + r.nextGaussian();
        }
        StatsAccumulator s = of(false, xs);
        double exact = exactVariance(xs);
        assertRel(exact, s.variance(0), 1e-6, "variance");
        assertRel(exactMean(xs), s.mean(0), 1e-15, "mean");
    }

    @Test
    void extremeOffsetWithNoiseWellAboveTheUlpKeepsTheVariance() {
        // 1e15 + U(0, 100): the ulp at 1e15 is 0.125, the noise spans 800 ulps
        Random r = new Random(42);
        double[] xs = new double[1000];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = 1e15 + r.nextDouble() * 100;
        }
        double exact = exactVariance(xs);
        StatsAccumulator whole = of(false, xs);
        assertRel(exact, whole.variance(0), 1e-3, "variance");
        StatsAccumulator a = new StatsAccumulator(1, false);
        StatsAccumulator b = new StatsAccumulator(1, false);
        for (int i = 0; i < xs.length; i++) {
            (i < 500 ? a : b).add(new double[] {xs[i]});
        }
        assertRel(exact, a.merge(b).variance(0), 1e-3, "merged variance");
        assertRel(exactMean(xs), whole.mean(0), 1e-15, "mean");
    }

    @Test
    void mergingDifferentFeatureCountsThrows() {
        StatsAccumulator one = new StatsAccumulator(1, false);
        StatsAccumulator two = new StatsAccumulator(2, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> one.merge(two));
        assertEquals("cannot merge statistics of 2 features into statistics of 1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> two.merge(one));
        // an empty accumulator of the wrong shape is rejected as well
        assertThrows(IllegalArgumentException.class, () -> of(false, 1, 2).merge(new StatsAccumulator(3, false)));
    }

    @Test
    void mergingWithAndWithoutKeptValuesThrows() {
        assertThrows(IllegalArgumentException.class,
                () -> new StatsAccumulator(1, true).merge(new StatsAccumulator(1, false)));
    }

    @Test
    void keptValuesGrowPastTheInitialCapacity() {
        StatsAccumulator s = new StatsAccumulator(1, true);
        for (int i = 100; i >= 1; i--) {
            s.add(new double[] {i});
        }
        assertEquals(50.5, s.quantile(0, 0.5), 1e-12);
        assertEquals(100.0, s.quantile(0, 1.0));
        assertEquals(50.5, s.mean(0), 1e-12);
        assertEquals((100.0 * 100 - 1) / 12, s.variance(0), 1e-9); // (n^2 - 1) / 12
    }
}
