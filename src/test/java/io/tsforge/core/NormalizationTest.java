package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NormalizationTest {

    private static final double EPS = 1e-12;

    private static StatsAccumulator stats(Normalization m, double... xs) {
        StatsAccumulator s = new StatsAccumulator(1, m.needsValues());
        for (double x : xs) {
            s.add(new double[] {x});
        }
        return s;
    }

    private static final double[] DATA = {2, 4, 4, 4, 5, 5, 7, 9};

    @Test
    void zscoreCentersOnTheMeanAndScalesByPopulationStd() {
        Normalization.Scale s = Normalization.ZSCORE.fit(stats(Normalization.ZSCORE, DATA));
        assertEquals(5.0, s.center()[0], EPS);
        assertEquals(2.0, s.scale()[0], EPS);
        assertFalse(s.constant()[0]);
        assertEquals(2.0, s.apply(0, 9), EPS);
        assertEquals(-1.5, s.apply(0, 2), EPS);
        // the fitted training values have mean 0 and population std 1
        StatsAccumulator z = new StatsAccumulator(1, false);
        for (double x : DATA) {
            z.add(new double[] {s.apply(0, x)});
        }
        assertEquals(0.0, z.mean(0), EPS);
        assertEquals(1.0, z.std(0), EPS);
    }

    @Test
    void minmaxMapsMinToZeroAndMaxToOne() {
        Normalization.Scale s = Normalization.MINMAX.fit(stats(Normalization.MINMAX, DATA));
        assertEquals(2.0, s.center()[0]);
        assertEquals(7.0, s.scale()[0]);
        assertEquals(0.0, s.apply(0, 2));
        assertEquals(1.0, s.apply(0, 9));
        assertEquals(0.5, s.apply(0, 5.5), EPS);
        assertFalse(s.constant()[0]);
    }

    @Test
    void robustUsesMedianAndIqr() {
        Normalization.Scale s = Normalization.ROBUST.fit(stats(Normalization.ROBUST, 9, 1, 8, 2, 7, 3, 6, 4, 5));
        assertEquals(5.0, s.center()[0]);
        assertEquals(4.0, s.scale()[0]); // 7 - 3
        assertEquals(1.0, s.apply(0, 9));
        assertEquals(-1.0, s.apply(0, 1));
        assertFalse(s.constant()[0]);
    }

    @Test
    void robustFallsBackToStdWhenIqrIsZero() {
        // median 5, quartiles 5 and 5, mean 5, population variance 50 / 9
        Normalization.Scale s = Normalization.ROBUST.fit(stats(Normalization.ROBUST, 0, 5, 5, 5, 5, 5, 5, 5, 10));
        assertEquals(5.0, s.center()[0]);
        assertEquals(Math.sqrt(50.0 / 9.0), s.scale()[0], EPS);
        assertFalse(s.constant()[0]);
    }

    @Test
    void noneIsTheIdentity() {
        Normalization.Scale s = Normalization.NONE.fit(stats(Normalization.NONE, DATA));
        assertEquals(0.0, s.center()[0]);
        assertEquals(1.0, s.scale()[0]);
        assertFalse(s.constant()[0]);
        assertEquals(7.25, s.apply(0, 7.25));
        assertEquals(-3.0, s.invert(0, -3.0));
    }

    @Test
    void noneOnAConstantSeriesStaysTheIdentity() {
        Normalization.Scale s = Normalization.NONE.fit(stats(Normalization.NONE, 4, 4, 4));
        assertEquals(4.0, s.apply(0, 4));
        assertFalse(s.constant()[0]);
    }

    @ParameterizedTest
    @EnumSource(value = Normalization.class, names = {"ZSCORE", "MINMAX", "ROBUST"})
    void constantSeriesIsCentredOnly(Normalization m) {
        double c = 3.7;
        Normalization.Scale s = m.fit(stats(m, c, c, c, c, c));
        assertEquals(c, s.center()[0]);
        assertEquals(1.0, s.scale()[0]);
        assertTrue(s.constant()[0]);
        assertEquals(0.0, s.apply(0, c));
        assertEquals(1.0, s.apply(0, c + 1), EPS);
    }

    @ParameterizedTest
    @EnumSource(value = Normalization.class, names = {"ZSCORE", "MINMAX", "ROBUST"})
    void largeConstantSeriesIsCentredOnly(Normalization m) {
        double c = 123456.789;
        Normalization.Scale s = m.fit(stats(m, c, c, c));
        assertEquals(1.0, s.scale()[0]);
        assertTrue(s.constant()[0]);
        assertEquals(0.0, s.apply(0, c));
    }

    @ParameterizedTest
    @EnumSource(value = Normalization.class, names = {"ZSCORE", "MINMAX", "ROBUST"})
    void singlePointIsCentredOnly(Normalization m) {
        Normalization.Scale s = m.fit(stats(m, -2.5));
        assertEquals(-2.5, s.center()[0]);
        assertEquals(1.0, s.scale()[0]);
        assertTrue(s.constant()[0]);
        double z = s.apply(0, -2.5);
        assertEquals(0.0, z);
        assertTrue(Double.isFinite(z));
    }

    @Test
    void constantFeatureBesideAVaryingOne() {
        StatsAccumulator st = new StatsAccumulator(2, false);
        st.add(new double[] {1, 7});
        st.add(new double[] {3, 7});
        Normalization.Scale s = Normalization.ZSCORE.fit(st);
        assertArrayEquals(new double[] {2, 7}, s.center(), EPS);
        assertArrayEquals(new double[] {1, 1}, s.scale(), EPS);
        assertArrayEquals(new boolean[] {false, true}, s.constant());
        assertEquals(1.0, s.apply(0, 3), EPS);
        assertEquals(0.0, s.apply(1, 7));
    }

    @ParameterizedTest
    @EnumSource(Normalization.class)
    void invertUndoesApply(Normalization m) {
        Normalization.Scale s = m.fit(stats(m, -3.5, 0.25, 11, 42, 7.125, 1e3));
        for (double x : new double[] {-3.5, 0.0, 0.1, 11, 1e3, -1e4}) {
            assertEquals(x, s.invert(0, s.apply(0, x)), 1e-12 * Math.max(1, Math.abs(x)));
        }
    }

    @ParameterizedTest
    @EnumSource(Normalization.class)
    void emptyStatisticsFitNothing(Normalization m) {
        assertNull(m.fit(new StatsAccumulator(1, m.needsValues())));
    }

    @Test
    void onlyRobustNeedsValues() {
        assertTrue(Normalization.ROBUST.needsValues());
        assertFalse(Normalization.ZSCORE.needsValues());
        assertFalse(Normalization.MINMAX.needsValues());
        assertFalse(Normalization.NONE.needsValues());
    }

    // ---------------------------------------------------------------- Normalizer

    private static Map<String, StatsAccumulator> threeSeries(Normalization m) {
        Map<String, StatsAccumulator> map = new HashMap<>();
        map.put("a", stats(m, 1, 2, 3));
        map.put("b", stats(m, 5, 7));
        map.put("c", new StatsAccumulator(1, m.needsValues())); // no training step
        return map;
    }

    @Test
    void seriesWithoutStatisticsUsesTheGlobalScale() {
        Normalizer n = Normalizer.fit(Normalization.ZSCORE, List.of("load"), threeSeries(Normalization.ZSCORE));
        assertTrue(n.hasOwnScale("a"));
        assertTrue(n.hasOwnScale("b"));
        assertFalse(n.hasOwnScale("c"));
        assertEquals(2, n.perSeries().size());

        Normalization.Scale a = n.scaleFor("a");
        assertEquals(2.0, a.center()[0], EPS);
        assertEquals(Math.sqrt(2.0 / 3.0), a.scale()[0], EPS);
        Normalization.Scale b = n.scaleFor("b");
        assertEquals(6.0, b.center()[0], EPS);
        assertEquals(1.0, b.scale()[0], EPS);

        // global over {1, 2, 3, 5, 7}: mean 3.6, population variance 23.2 / 5 = 4.64
        Normalization.Scale c = n.scaleFor("c");
        assertSame(n.global(), c);
        assertEquals(3.6, c.center()[0], EPS);
        assertEquals(Math.sqrt(4.64), c.scale()[0], EPS);
        assertFalse(c.constant()[0]);
        assertSame(n.global(), n.scaleFor("never-seen"));
        assertEquals(List.of("load"), n.features());
        assertEquals(Normalization.ZSCORE, n.method());
    }

    @Test
    void robustGlobalScaleUsesAllValues() {
        Normalizer n = Normalizer.fit(Normalization.ROBUST, List.of("load"), threeSeries(Normalization.ROBUST));
        Normalization.Scale g = n.scaleFor("c");
        assertEquals(3.0, g.center()[0], EPS); // median of 1, 2, 3, 5, 7
        assertEquals(3.0, g.scale()[0], EPS);  // 5 - 2
        assertEquals(2.0, n.scaleFor("a").center()[0], EPS);
    }

    @Test
    void scaleForThrowsWithoutAnyStatistics() {
        Map<String, StatsAccumulator> map = new HashMap<>();
        map.put("a", new StatsAccumulator(1, false));
        Normalizer n = Normalizer.fit(Normalization.ZSCORE, List.of("load"), map);
        assertNull(n.global());
        assertFalse(n.hasOwnScale("a"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> n.scaleFor("a"));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());

        Normalizer none = Normalizer.fit(Normalization.MINMAX, List.of("load"), Map.of());
        assertThrows(IllegalStateException.class, () -> none.scaleFor("x"));
    }
}
