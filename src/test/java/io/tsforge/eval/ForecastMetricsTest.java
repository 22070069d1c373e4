package io.tsforge.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forecast metrics, baselines and the MASE scale, against numbers worked out by hand. */
class ForecastMetricsTest {

    static final double EPS = 1e-9;

    /** actual 1, 2, 4; forecast 2, 2, 1; errors F - A = 1, 0, -3; normalized as (x - 1) / 2; MASE scale 2. */
    static ErrorAccumulator handCase() {
        ErrorAccumulator a = new ErrorAccumulator();
        double[] actual = {1, 2, 4};
        double[] forecast = {2, 2, 1};
        for (int i = 0; i < 3; i++) {
            a.add(actual[i], forecast[i], (actual[i] - 1) / 2, (forecast[i] - 1) / 2, 2.0);
        }
        return a;
    }

    @Test
    void metricsMatchHandComputedValues() {
        ErrorAccumulator a = handCase();
        assertEquals(3, a.count());
        assertEquals(4.0 / 3, a.mae(), EPS);
        assertEquals(Math.sqrt(10.0 / 3), a.rmse(), EPS);
        assertEquals((200.0 / 3 + 0 + 200.0 * 3 / 5) / 3, a.smape(), EPS); // 62.2222
        assertEquals((0.5 + 0 + 1.5) / 3, a.mase(), EPS);
        assertEquals((0.25 + 0 + 2.25) / 3, a.mseNormalized(), EPS);
        assertEquals((0.5 + 0 + 1.5) / 3, a.maeNormalized(), EPS);
    }

    @Test
    void edgeCases() {
        ErrorAccumulator empty = new ErrorAccumulator();
        assertTrue(Double.isNaN(empty.mae()) && Double.isNaN(empty.rmse()) && Double.isNaN(empty.mase()));
        ErrorAccumulator zeros = new ErrorAccumulator();
        zeros.add(0, 0, 0, 0, 1);
        assertEquals(0, zeros.smape(), EPS); // 0/0 is a perfect forecast, not NaN
        zeros.add(0, 1, 0, 1, 1);
        assertEquals(100, zeros.smape(), EPS); // (0 + 200) / 2
        ErrorAccumulator constantTraining = new ErrorAccumulator();
        constantTraining.add(5, 6, 0, 1, 0.0);
        constantTraining.add(5, 7, 0, 2, Double.NaN);
        assertTrue(Double.isNaN(constantTraining.mase()), "no usable scale: MASE is undefined");
        assertEquals(1.5, constantTraining.mae(), EPS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ErrorAccumulator().add(Double.NaN, 1, 0, 0, 1));
        assertTrue(e.getMessage().contains("actual=NaN"), e.getMessage());
    }

    @Test
    void mergedHalvesAndShuffledRowsEqualTheWhole() {
        Random r = new Random(7);
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            rows.add(new double[]{r.nextInt(3), 1 + r.nextInt(24), r.nextGaussian() * 10, r.nextGaussian() * 10,
                    r.nextDouble() + 0.1});
        }
        ForecastEvaluation whole = new ForecastEvaluation();
        ForecastEvaluation first = new ForecastEvaluation();
        ForecastEvaluation second = new ForecastEvaluation();
        for (int i = 0; i < rows.size(); i++) {
            double[] x = rows.get(i);
            String s = "s" + (int) x[0];
            whole.add("model", s, (int) x[1], x[2], x[3], x[2] / 3, x[3] / 3, x[4]);
            (i < 200 ? first : second).add("model", s, (int) x[1], x[2], x[3], x[2] / 3, x[3] / 3, x[4]);
        }
        assertEquals(whole, new ForecastEvaluation().merge(first).merge(second));
        Collections.shuffle(rows, new Random(3));
        ForecastEvaluation shuffled = new ForecastEvaluation();
        for (double[] x : rows) {
            shuffled.add("model", "s" + (int) x[0], (int) x[1], x[2], x[3], x[2] / 3, x[3] / 3, x[4]);
        }
        assertEquals(whole, shuffled);
        ForecastEvaluation other = new ForecastEvaluation();
        other.add("model", "s0", 1, 1, 2, 0, 0, 1);
        assertNotEquals(whole, other);
    }

    @Test
    void breakdownsPerStepAndSeriesAddUpToOverall() {
        ForecastEvaluation e = new ForecastEvaluation();
        e.add("model", "a", 1, 10, 11, 0, 1, 1); // |e| = 1
        e.add("model", "a", 2, 10, 13, 0, 3, 1); // 3
        e.add("model", "b", 1, 10, 15, 0, 5, 1); // 5
        e.add("last_value", "a", 1, 10, 10, 0, 0, 1);
        ForecastEvaluation.Breakdown m = e.get("model");
        assertEquals(3.0, m.overall().mae(), EPS);
        assertEquals(3.0, m.perStep().get(1).mae(), EPS); // (1 + 5) / 2
        assertEquals(3.0, m.perStep().get(2).mae(), EPS);
        assertEquals(2.0, m.perSeries().get("a").mae(), EPS);
        assertEquals(5.0, m.perSeries().get("b").mae(), EPS);
        assertEquals(List.of("model", "last_value"), List.copyOf(e.forecasters().keySet()));
        assertThrows(IllegalArgumentException.class, () -> e.get("nope"));
        assertThrows(IllegalArgumentException.class, () -> e.add("model", "a", 0, 1, 1, 0, 0, 1));
    }

    @Test
    void baselines() {
        double[] y = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertArrayEquals(new double[]{6, 6, 6}, Baselines.lastValue(y, 5, 3), EPS);
        assertArrayEquals(new double[]{5, 6, 5}, Baselines.seasonalNaive(y, 5, 2, 3), EPS);
        assertArrayEquals(new double[]{1, 2, 3}, Baselines.seasonalNaive(y, 5, 6, 3), EPS);
        assertNull(Baselines.seasonalNaive(y, 5, 7, 3), "seven steps of season need seven of history");
        assertArrayEquals(new double[]{6, 6}, Baselines.seasonalNaive(y, 5, 1, 2), EPS);
        // 1 + 0.5 * 2 + 0.5 * 4 = 4; then lags (4, 4): 5; then (4, 5): 5.5
        assertArrayEquals(new double[]{4, 5, 5.5}, Baselines.autoregressive(new double[]{0.5, 0.5}, 1,
                new double[]{2, 4}, 1, 3), EPS);
        assertNull(Baselines.autoregressive(new double[]{1, 1, 1}, 0, y, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Baselines.lastValue(y, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> Baselines.seasonalNaive(y, 5, 0, 1));
    }

    @Test
    void seasonalScaleUsesOnlyPairsInsideTheRangeAndMerges() {
        double[] y = {1, 3, 2, 5, 4};
        boolean[] all = {true, true, true, true, true};
        assertEquals(7.0 / 4, new SeasonalScale(1).addSegment(y, all).scale(), EPS);
        assertEquals(5.0 / 3, new SeasonalScale(2).addSegment(y, all).scale(), EPS);
        assertEquals(1.5, new SeasonalScale(1).addSegment(y, new boolean[]{true, true, true, false, false}).scale(),
                EPS);
        SeasonalScale merged = new SeasonalScale(1).addSegment(new double[]{1, 3}, new boolean[]{true, true})
                .merge(new SeasonalScale(1).addSegment(new double[]{10, 10, 11}, new boolean[]{true, true, true}));
        assertEquals((2 + 0 + 1) / 3.0, merged.scale(), EPS); // no pair across the segment boundary (3 -> 10)
        assertTrue(Double.isNaN(new SeasonalScale(24).addSegment(y, all).scale()));
        assertEquals(0.0, new SeasonalScale(1).addSegment(new double[]{2, 2, 2}, new boolean[]{true, true, true})
                .scale(), EPS);
        assertThrows(IllegalArgumentException.class, () -> new SeasonalScale(1).merge(new SeasonalScale(2)));
    }
}
