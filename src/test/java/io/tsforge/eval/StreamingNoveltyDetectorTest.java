package io.tsforge.eval;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming novelty detector on synthetic series whose anomalies are known. */
class StreamingNoveltyDetectorTest {

    static final StreamingNoveltyDetector.Settings DEFAULTS = StreamingNoveltyDetector.Settings.defaults();

    static double[] noise(int n, long seed, double sd) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 10 + sd * r.nextGaussian();
        }
        return v;
    }

    static int argMax(double[] s) {
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (s[i] > s[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void spikeInNoiseIsTheTopScoreAndAnAlarm() {
        double[] v = noise(3000, 1, 1.0);
        v[2000] += 12;
        double[] s = StreamingNoveltyDetector.scoreSeries(v, 450, 0, DEFAULTS);
        assertEquals(2000, argMax(s));
        assertTrue(s[2000] >= DEFAULTS.fireLevel(), "spike score " + s[2000]);
        for (int i = 0; i < 450; i++) {
            assertEquals(0.0, s[i], "probation rows are not scored");
        }
        long alarms = Arrays.stream(s).filter(x -> x >= DEFAULTS.fireLevel()).count();
        assertTrue(alarms <= 3, "pure noise plus one spike raised " + alarms + " alarms");
    }

    @Test
    void levelShiftIsFlaggedWithinAFewRows() {
        double[] v = noise(2000, 2, 0.5);
        for (int i = 1500; i < v.length; i++) {
            v[i] += 5;
        }
        double[] s = StreamingNoveltyDetector.scoreSeries(v, 300, 0, DEFAULTS);
        int first = -1;
        for (int i = 300; i < s.length; i++) {
            if (s[i] >= DEFAULTS.fireLevel()) {
                first = i;
                break;
            }
        }
        assertTrue(first >= 1500 && first <= 1505, "first alarm at row " + first);
    }

    @Test
    void neverLooksAhead() {
        double[] a = noise(1500, 3, 1.0);
        double[] b = a.clone();
        for (int i = 1000; i < b.length; i++) {
            b[i] = 100 + i;      // a completely different future
        }
        double[] sa = StreamingNoveltyDetector.scoreSeries(a, 225, 0, DEFAULTS);
        double[] sb = StreamingNoveltyDetector.scoreSeries(b, 225, 0, DEFAULTS);
        assertArrayEquals(Arrays.copyOf(sa, 1000), Arrays.copyOf(sb, 1000));
        assertTrue(sb[1000] > sa[1000]);
    }

    @Test
    void alarmsAreSuppressedForAWhileThenAllowedAgain() {
        double[] v = noise(3000, 4, 1.0);
        v[1000] += 15;
        v[1100] += 15;   // inside the quiet period (0.5 x 400 rows)
        v[2000] += 30;   // after it, larger than the first (one the same size is no longer new)
        double[] s = StreamingNoveltyDetector.scoreSeries(v, 400, 0, DEFAULTS);
        assertTrue(s[1000] >= DEFAULTS.fireLevel());
        for (int i = 1001; i <= 1200; i++) {
            assertEquals(0.0, s[i], "row " + i + " is inside the quiet period");
        }
        assertTrue(s[2000] >= DEFAULTS.fireLevel(), "second spike after the quiet period " + s[2000]);

        double[] loud = StreamingNoveltyDetector.scoreSeries(v, 400, 0, DEFAULTS.with("suppress", "0"));
        assertTrue(loud[1100] > 0.5, "without suppression the second spike scores " + loud[1100]);
    }

    /** A noisy daily square wave: the daily steps recur, so they stop being surprising; a missing step is not. */
    @Test
    void recurringDailyStepsAreLearnedButAMissingStepIsFlagged() {
        int day = 96;
        int n = 30 * day;
        Random r = new Random(5);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % day < day / 2 ? 20 : 80) + r.nextGaussian();
        }
        int probation = 450;
        double[] clean = StreamingNoveltyDetector.scoreSeries(v, probation, day, DEFAULTS);
        long alarms = Arrays.stream(clean).filter(x -> x >= DEFAULTS.fireLevel()).count();
        assertTrue(alarms <= 2, "a clean daily square wave raised " + alarms + " alarms");

        double[] missing = v.clone();
        int day20 = 20 * day;
        for (int i = day20; i < day20 + day / 2; i++) {
            missing[i] = 80 + r.nextGaussian();     // the low half of day 20 stays high
        }
        double[] s = StreamingNoveltyDetector.scoreSeries(missing, probation, day, DEFAULTS);
        int first = -1;
        for (int i = day20 - day; i < n; i++) {
            if (s[i] >= DEFAULTS.fireLevel()) {
                first = i;
                break;
            }
        }
        assertTrue(first >= day20 && first < day20 + day / 2, "first alarm at row " + first + ", anomaly from "
                + day20);
        StreamingNoveltyDetector d = StreamingNoveltyDetector.fit(Arrays.copyOf(v, probation), day, DEFAULTS);
        assertTrue(d.featureNames().contains("seasonal(w=1,lag=96)"), d.featureNames().toString());
    }

    @Test
    void aFlatProbationMakesAnyMoveSurprising() {
        double[] v = new double[1000];
        Arrays.fill(v, 45.0);
        double[] flat = StreamingNoveltyDetector.scoreSeries(v, 150, 0, DEFAULTS);
        assertTrue(Arrays.stream(flat).allMatch(x -> x < DEFAULTS.fireLevel()), "a flat line raised an alarm");
        v[700] = 45.5;
        double[] s = StreamingNoveltyDetector.scoreSeries(v, 150, 0, DEFAULTS);
        assertEquals(700, argMax(s));
        assertTrue(s[700] >= DEFAULTS.fireLevel());
    }

    @Test
    void aForgottenAnomalyIsNoticedAgain() {
        double[] v = noise(6000, 6, 1.0);
        v[400] += 20;
        v[5000] += 20;
        StreamingNoveltyDetector.Settings remember = DEFAULTS.with("memory", "0");
        StreamingNoveltyDetector.Settings forget = DEFAULTS.with("memory", "10");   // 10 x 200 rows
        double[] kept = StreamingNoveltyDetector.scoreSeries(v, 200, 0, remember);
        double[] forgot = StreamingNoveltyDetector.scoreSeries(v, 200, 0, forget);
        assertTrue(kept[400] >= DEFAULTS.fireLevel() && forgot[400] >= DEFAULTS.fireLevel());
        assertTrue(forgot[5000] > kept[5000], "memory 10: " + forgot[5000] + ", remember all: " + kept[5000]);
        assertTrue(forgot[5000] >= DEFAULTS.fireLevel());
    }

    @Test
    void settingsAreValidatedWithClearMessages() {
        StreamingNoveltyDetector.Settings s = StreamingNoveltyDetector.Settings.of(Map.of("scales", "1,12",
                "memory", "8"));
        assertArrayEquals(new int[]{1, 12}, s.scales());
        assertEquals(8.0, s.memory());
        assertEquals(DEFAULTS.fireLevel(), s.fireLevel());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.with("treshold", "0.5"));
        assertTrue(unknown.getMessage().contains("'treshold'"), unknown.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.with("suppress", "soon"));
        assertTrue(nan.getMessage().contains("suppress") && nan.getMessage().contains("soon"), nan.getMessage());
        IllegalArgumentException level = assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.with("fireLevel", "1.5"));
        assertTrue(level.getMessage().contains("fireLevel") && level.getMessage().contains("1.5"),
                level.getMessage());
        IllegalArgumentException scale = assertThrows(IllegalArgumentException.class,
                () -> DEFAULTS.with("scales", "1,0"));
        assertTrue(scale.getMessage().contains("scales"), scale.getMessage());
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> StreamingNoveltyDetector.fit(new double[]{1, 2, 3, Double.NaN, 5, 6, 7, 8}, 0, DEFAULTS));
        assertTrue(value.getMessage().contains("row 3"), value.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> StreamingNoveltyDetector.fit(new double[]{1, 2, 3}, 0, DEFAULTS));
    }

    @Test
    void rowsPerDayFromTheMedianStep() {
        long[] ts = new long[100];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = i * 300_000L + (i == 50 ? 60_000L : 0);   // 5-minute steps, one irregular
        }
        assertEquals(288, StreamingNoveltyDetector.rowsPerDay(ts));
        assertEquals(0, StreamingNoveltyDetector.rowsPerDay(new long[]{0, 86_400_000L, 2 * 86_400_000L}));
    }
}
