package io.tsforge.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** evaluate's novelty baseline: where its probation ends, no look-ahead, and a spike whose scores are known. */
class NoveltyBaselineTest {

    static final long HOUR = 3_600_000L;
    static final long T0 = 1_704_067_200_000L; // 2024-01-01 00:00 UTC

    static long[] hours(int n) {
        long[] ts = new long[n];
        for (int i = 0; i < n; i++) {
            ts[i] = T0 + i * HOUR;
        }
        return ts;
    }

    /** A daily cycle with a little noise (seeded). */
    static double[] daily(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 50 + 10 * Math.sin(2 * Math.PI * i / 24) + 0.5 * r.nextGaussian();
        }
        return v;
    }

    static boolean[] firstRows(int n, int train) {
        boolean[] b = new boolean[n];
        Arrays.fill(b, 0, train, true);
        return b;
    }

    @Test
    void probationIsTheTrainingRowsBeforeTheFirstScoredRow() {
        int n = 1000;
        long[] ts = hours(n);
        double[] v = daily(n, 1);
        // detect scored from the validation range: the whole training range (600 rows) is the probation
        NoveltyBaseline.Result all = NoveltyBaseline.score(ts, v, firstRows(n, 600), ts[800], 24);
        assertEquals(600, all.probation());
        for (int t = 0; t < n; t++) {
            assertEquals(t < 600, Double.isNaN(all.scores()[t]), "row " + t);
        }
        // detect.from inside the training range: the probation stops before the first scored row
        NoveltyBaseline.Result early = NoveltyBaseline.score(ts, v, firstRows(n, 600), ts[400], 24);
        assertEquals(400, early.probation());
        assertTrue(Double.isNaN(early.scores()[399]) && !Double.isNaN(early.scores()[400]));
        // too little training before the first scored row: no baseline
        NoveltyBaseline.Result none = NoveltyBaseline.score(ts, v, firstRows(n, 600), ts[5], 24);
        assertEquals(0, none.probation());
        assertTrue(Arrays.stream(none.scores()).allMatch(Double::isNaN));
        assertThrows(IllegalArgumentException.class, () -> NoveltyBaseline.score(ts, v, new boolean[3], ts[5], 24));
    }

    @Test
    void scoresNeverLookAhead() {
        int n = 900;
        long[] ts = hours(n);
        double[] v = daily(n, 2);
        double[] changed = v.clone();
        for (int t = 700; t < n; t++) {
            changed[t] += 100 * Math.cos(t);
        }
        double[] a = NoveltyBaseline.score(ts, v, firstRows(n, 500), ts[500], 24).scores();
        double[] b = NoveltyBaseline.score(ts, changed, firstRows(n, 500), ts[500], 24).scores();
        assertArrayEquals(Arrays.copyOf(a, 700), Arrays.copyOf(b, 700), "rows before 700 must not see rows after");
    }

    @Test
    void aSpikeIsTheOnlyAlarmAndScoresAPerfectNab() {
        int n = 1200;
        int spike = 1000;
        long[] ts = hours(n);
        double[] v = daily(n, 3);
        v[spike] += 30;
        NoveltyBaseline.Result r = NoveltyBaseline.score(ts, v, firstRows(n, 672), ts[840], 24);
        assertEquals(672, r.probation());
        double fire = StreamingNoveltyDetector.Settings.defaults().fireLevel();
        // the rows evaluate scores: 840 .. 1199
        long[] sts = Arrays.copyOfRange(ts, 840, n);
        double[] score = Arrays.copyOfRange(r.scores(), 840, n);
        boolean[] flags = new boolean[score.length];
        List<Integer> alarms = new ArrayList<>();
        for (int i = 0; i < score.length; i++) {
            flags[i] = score[i] >= fire;
            if (flags[i]) {
                alarms.add(840 + i);
            }
        }
        assertEquals(List.of(spike), alarms);
        // a three-row window starting at the spike: 1 TP, 2 FN, no FP; the window is found at once
        List<Labels.Window> w = List.of(new Labels.Window(ts[spike], ts[spike + 2]));
        DetectionCounts c = DetectionCounts.ofSeries(sts, flags, w);
        assertEquals(1, c.tp());
        assertEquals(0, c.fp());
        assertEquals(2, c.fn());
        assertEquals(1.0, c.adjustedRecall(), 1e-12);
        assertEquals(1.0, c.adjustedPrecision(), 1e-12);
        assertEquals(0.0, c.meanDelaySteps(), 1e-12);
        // the spike is the top score: NAB's threshold sweep finds the perfect detector
        NabScorer.Result nab = new NabScorer(0, 0).optimise(List.of(new NabScorer.File("s", sts, score, w)),
                NabScorer.PROFILES.get(0));
        assertEquals(100.0, nab.normalized(), 1e-9);
    }

    @Test
    void quietForOneSeasonAfterAnAlarm() {
        int n = 1000;
        long[] ts = hours(n);
        double[] v = daily(n, 4);
        v[800] += 30;
        v[810] += 30; // inside the 24 quiet rows: scores 0
        v[900] += 60; // after them, and a new record (spikes of 30 are remembered): an alarm again
        double[] s = NoveltyBaseline.score(ts, v, firstRows(n, 600), ts[700], 24).scores();
        double fire = StreamingNoveltyDetector.Settings.defaults().fireLevel();
        assertTrue(s[800] >= fire, "first spike " + s[800]);
        assertEquals(0.0, s[810]);
        assertTrue(s[900] >= fire, "spike after the quiet period " + s[900]);
    }
}
