package io.tsforge.bench;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The NAB benchmark's detector: fitted on probation rows only, one alarm per new record after them. */
class NabBenchTest {

    @Test
    void fitsOnProbationOnlyAndKeepsRecordBreakingScores() {
        int n = 1000;
        long[] ts = new long[n];
        double[] v = new double[n];
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            ts[i] = i * 300_000L;
            v[i] = 10 + r.nextGaussian();
        }
        v[600] += 30; // a spike
        v[800] += 15; // a smaller one later: no new record, no alarm
        double[] s = NabBench.score(new NabBench.Series("x", ts, v), 150);
        int argmax = 0;
        for (int i = 0; i < n; i++) {
            assertTrue(s[i] >= 0 && s[i] < 1, "score in [0, 1) at " + i);
            if (s[i] > s[argmax]) {
                argmax = i;
            }
        }
        assertEquals(600, argmax);
        assertEquals(0.0, s[800], 0.0);
        // changing rows after probation never changes how the others are scored before them
        double[] v2 = v.clone();
        v2[900] = 1e6;
        double[] s2 = NabBench.score(new NabBench.Series("x", ts, v2), 150);
        for (int i = 0; i < 899; i++) {
            assertEquals(s[i], s2[i], 0.0, "row " + i);
        }
    }
}
