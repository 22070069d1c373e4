package io.tsforge.eval;

import io.tsforge.core.TimestampParser;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Labels, detection counts and the NAB scorer on hand-built cases whose answers are known. */
class AnomalyMetricsTest {

    static final double EPS = 1e-9;
    static final TimestampParser UTC = TimestampParser.of("auto", ZoneOffset.UTC);
    static final NabScorer.Profile STANDARD = NabScorer.PROFILES.get(0);
    static final NabScorer NO_PROBATION = new NabScorer(0, 0);

    static long[] seconds(int n) {
        long[] ts = new long[n];
        for (int i = 0; i < n; i++) {
            ts[i] = i * 1000L;
        }
        return ts;
    }

    static Labels.Window rows(int first, int last) {
        return new Labels.Window(first * 1000L, last * 1000L);
    }

    static NabScorer.File file(String name, int n, List<Labels.Window> windows, Map<Integer, Double> scores) {
        double[] s = new double[n];
        scores.forEach((i, v) -> s[i] = v);
        return new NabScorer.File(name, seconds(n), s, windows);
    }

    /** NAB's scaled sigmoid, written out independently of the scorer. */
    static double sigma(double y) {
        return y >= 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
    }

    // ------------------------------------------------------------------------------------------------------- labels

    @Test
    void readsWindowAndPointCsvs() throws Exception {
        Labels l = Labels.parseCsv(Files.readString(Path.of("data-samples/labels.csv")), UTC, "labels.csv");
        assertEquals(5, l.windowCount());
        assertEquals(2, l.windows("sensor-02").size());
        Labels.Window w = l.windows("sensor-04").get(0);
        assertEquals(UTC.parse("2024-03-08 06:00:00"), w.start());
        assertEquals(UTC.parse("2024-03-08 17:59:59"), w.end());
        assertTrue(l.windows("sensor-01").isEmpty());

        Labels points = Labels.parseCsv("series_id,timestamp\na,2024-01-01 00:00:00\na,2024-01-01 02:00:00\n", UTC,
                "p.csv");
        assertEquals(2, points.windows("a").size());
        assertEquals(points.windows("a").get(0).start(), points.windows("a").get(0).end());

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Labels.parseCsv("series_id,start,end\na,2024-01-01,yesterday\n", UTC, "x.csv"));
        assertTrue(bad.getMessage().contains("x.csv line 2") && bad.getMessage().contains("end 'yesterday'"),
                bad.getMessage());
        IllegalArgumentException reversed = assertThrows(IllegalArgumentException.class,
                () -> Labels.parseCsv("series_id,start,end\na,2024-01-02,2024-01-01\n", UTC, "x.csv"));
        assertTrue(reversed.getMessage().contains("before start"), reversed.getMessage());
        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                () -> Labels.parseCsv("series_id,start,end\na,2024-01-01,2024-01-03\na,2024-01-02,2024-01-04\n", UTC,
                        "x.csv"));
        assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
        IllegalArgumentException header = assertThrows(IllegalArgumentException.class,
                () -> Labels.parseCsv("id,when\na,2024-01-01\n", UTC, "x.csv"));
        assertTrue(header.getMessage().contains("series_id"), header.getMessage());
    }

    @Test
    void readsNabWindowsJson() {
        String json = "{\"realKnownCause/machine.csv\": [[\"2014-04-10 07:15:00.000000\", \"2014-04-11 16:45:00.000000\"]],"
                + " \"artificialNoAnomaly/flat.csv\": []}";
        Labels l = Labels.parseNabWindows(json, UTC, Labels::nabFileName, "w.json");
        assertEquals(1, l.windowCount());
        assertTrue(l.labels("flat") && l.windows("flat").isEmpty());
        assertEquals(UTC.parse("2014-04-10 07:15:00"), l.windows("machine").get(0).start());
        Labels byKey = Labels.parseNabWindows(json, UTC, k -> k, "w.json");
        assertTrue(byKey.labels("realKnownCause/machine.csv"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Labels.parseNabWindows("{\"a.csv\": [[\"2014-01-01\"]]}", UTC, k -> k, "w.json"));
        assertTrue(e.getMessage().contains("[start, end]"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------- detection counts

    @Test
    void plainAndPointAdjustedCounts() {
        // rows 0..9; windows rows 2..4 and row 7, and a point label between rows with no row of its own
        List<Labels.Window> windows = List.of(rows(2, 4), new Labels.Window(5500, 5500), rows(7, 7));
        boolean[] flags = new boolean[10];
        flags[3] = true;
        flags[8] = true;
        DetectionCounts c = DetectionCounts.ofSeries(seconds(10), flags, windows);
        assertEquals(1, c.tp());
        assertEquals(1, c.fp());
        assertEquals(3, c.fn());
        assertEquals(5, c.tn());
        assertEquals(0.5, c.precision(), EPS);
        assertEquals(0.25, c.recall(), EPS);
        assertEquals(1.0 / 3, c.f1(), EPS);
        assertEquals(0.75, c.adjustedPrecision(), EPS); // window 2..4 counts 3 rows detected; 1 false positive
        assertEquals(0.75, c.adjustedRecall(), EPS);    // row 7's window missed
        assertEquals(0.75, c.adjustedF1(), EPS);
        assertEquals(1, c.windowsDetected());
        assertEquals(0.5, c.windowRecall(), EPS);       // the window without rows is left out
        assertEquals(1000, c.meanDelayMillis(), EPS);
        assertEquals(1, c.meanDelaySteps(), EPS);
        Map<String, Object> m = c.toMap();
        assertEquals(1L, m.get("windows_without_rows"));

        DetectionCounts silent = DetectionCounts.ofSeries(seconds(10), new boolean[10], windows);
        assertTrue(Double.isNaN(silent.precision()));
        assertEquals(0, silent.recall(), EPS);
        DetectionCounts merged = new DetectionCounts().merge(c).merge(silent);
        assertEquals(2, merged.toMap().get("windows_detected") instanceof Long l ? l + 1 : -1);
        assertEquals(1.0 / 8, merged.recall(), EPS);
        assertThrows(IllegalArgumentException.class,
                () -> DetectionCounts.ofSeries(new long[]{2, 1}, new boolean[2], List.of()));
    }

    // ----------------------------------------------------------------------------------------------------- NAB

    @Test
    void perfectDetectorScores100AndSilentOneScores0() {
        NabScorer.File perfect = file("f", 10, List.of(rows(4, 5)), Map.of(4, 1.0));
        for (NabScorer.Profile p : NabScorer.PROFILES) {
            NabScorer.Result r = NO_PROBATION.optimise(List.of(perfect), p);
            assertEquals(100, r.normalized(), EPS, p.name());
            assertEquals(1.0, r.threshold(), EPS);
            assertEquals(1, r.tp());
            assertEquals(0, r.fp());
            // silent: every score 0. Threshold 0 would fire on all 100 rows (40 costly FPs before the window), so the
            // optimiser keeps 1.1 (never fire), which is the null score
            NabScorer.File quiet = file("f", 100, List.of(rows(40, 41)), Map.of());
            NabScorer.Result silent = NO_PROBATION.optimise(List.of(quiet), p);
            assertEquals(0, silent.normalized(), EPS, p.name());
            assertEquals(NabScorer.NEVER, silent.threshold(), EPS);
            assertEquals(-p.fnWeight(), silent.raw(), EPS);
            assertEquals(0, NO_PROBATION.scoreAt(List.of(quiet), p, NabScorer.NEVER).normalized(), EPS);
        }
    }

    @Test
    void detectorFiringEverywhere() {
        // window rows 4..5 (w = 2): 4 rows before it cost -0.11 each; row 4 is the earliest detection (+1);
        // rows 6..9 are 1, 2, 3, 4 window-widths - 1 past its end
        NabScorer.File all = new NabScorer.File("f", seconds(10), new double[]{1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
                List.of(rows(4, 5)));
        double raw = 1 - 4 * 0.11 + 0.11 * (sigma(1) + sigma(2) + sigma(3) + sigma(4));
        assertEquals(0.121482, raw, 1e-6);
        NabScorer.Result r = NO_PROBATION.scoreAt(List.of(all), STANDARD, 0.5);
        assertEquals(raw, r.raw(), EPS);
        assertEquals(100 * (raw + 1) / 2, r.normalized(), EPS);
        assertEquals(2, r.tp());
        assertEquals(8, r.fp());
        // the optimiser may choose between never (0) and everywhere (56.07): it takes everywhere
        assertEquals(100 * (raw + 1) / 2, NO_PROBATION.optimise(List.of(all), STANDARD).normalized(), EPS);
        // with false positives twice as costly, firing everywhere scores below never firing
        NabScorer.Result lowFp = NO_PROBATION.optimise(List.of(all), NabScorer.PROFILES.get(1));
        double rawLowFp = 1 - 4 * 0.22 + 0.22 * (sigma(1) + sigma(2) + sigma(3) + sigma(4));
        assertEquals(Math.max(0, 100 * (rawLowFp + 1) / 2), lowFp.normalized(), EPS);
    }

    @Test
    void earlyDetectionIsWorthMoreThanLate() {
        List<Labels.Window> w = List.of(rows(5, 14)); // 10 rows
        double early = NO_PROBATION.scoreAt(List.of(file("f", 20, w, Map.of(5, 1.0))), STANDARD, 0.5).raw();
        double middle = NO_PROBATION.scoreAt(List.of(file("f", 20, w, Map.of(9, 1.0))), STANDARD, 0.5).raw();
        double late = NO_PROBATION.scoreAt(List.of(file("f", 20, w, Map.of(14, 1.0))), STANDARD, 0.5).raw();
        assertEquals(1.0, early, EPS);
        assertEquals(sigma(-0.6) / sigma(-1), middle, EPS);
        assertEquals(Math.tanh(0.25) / Math.tanh(2.5), late, EPS); // sigma(-1/10) / sigma(-1) = 0.24824
        assertEquals(0.248242, late, 1e-6);
        // a late detection followed by an early one: only the best (earliest) counts, and it is not an FP
        NabScorer.Result both = NO_PROBATION.scoreAt(List.of(file("f", 20, w, Map.of(5, 1.0, 14, 1.0))), STANDARD,
                0.5);
        assertEquals(1.0, both.raw(), EPS);
        assertEquals(0, both.fp());
    }

    @Test
    void falsePositivesBeforeAndAfterWindows() {
        List<Labels.Window> w = List.of(rows(10, 14)); // 5 rows, right edge at row 14
        double hit = 1.0;
        double before = NO_PROBATION.scoreAt(List.of(file("f", 30, w, Map.of(10, 1.0, 3, 1.0))), STANDARD, 0.5).raw();
        assertEquals(hit - 0.11, before, EPS);
        double justAfter = NO_PROBATION.scoreAt(List.of(file("f", 30, w, Map.of(10, 1.0, 15, 1.0))), STANDARD, 0.5)
                .raw();
        assertEquals(hit + 0.11 * sigma(1 / 4.0), justAfter, EPS); // -0.0610: cheaper than a free-standing FP
        assertEquals(-0.061, justAfter - hit, 1e-3);
        double farAfter = NO_PROBATION.scoreAt(List.of(file("f", 30, w, Map.of(10, 1.0, 29, 1.0))), STANDARD, 0.5)
                .raw();
        assertEquals(hit - 0.11, farAfter, EPS); // 15 / 4 window widths past: the full cost
        // the same files through the sweep give the same numbers
        assertEquals(justAfter, NO_PROBATION.optimise(List.of(file("f", 30, w, Map.of(10, 1.0, 15, 1.0))), STANDARD)
                .raw(), EPS);
    }

    @Test
    void probationRowsAreNotScored() {
        NabScorer nab = NabScorer.standard();
        assertEquals(15, nab.probation(100));
        assertEquals(750, nab.probation(10_000));
        assertEquals(0, nab.probation(6));
        // a detection in the first 15 rows would otherwise cost -0.11
        NabScorer.File f = file("f", 100, List.of(rows(50, 59)), Map.of(10, 1.0, 50, 1.0));
        NabScorer.Result r = nab.optimise(List.of(f), STANDARD);
        assertEquals(100, r.normalized(), EPS);
        assertEquals(0, r.fp());
        assertEquals(1.0, nab.scoreAt(List.of(f), STANDARD, 0.5).raw(), EPS);
        // a window wholly inside probation is not counted at all
        NabScorer.File early = file("e", 100, List.of(rows(2, 5), rows(50, 59)), Map.of(50, 1.0));
        assertEquals(1, nab.optimise(List.of(early), STANDARD).windows());
    }

    @Test
    void corpusThresholdIsTheBestOfEveryCandidate() {
        Random r = new Random(11);
        List<NabScorer.File> corpus = new ArrayList<>();
        for (int f = 0; f < 6; f++) {
            int n = 200 + r.nextInt(200);
            double[] s = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = Math.round(r.nextDouble() * r.nextDouble() * 20) / 20.0; // many ties
            }
            List<Labels.Window> w = new ArrayList<>();
            int at = 60 + r.nextInt(40);
            for (int k = 0; k < f % 3 && at + 30 < n; k++) {
                int len = 1 + r.nextInt(25);
                w.add(rows(at, at + len - 1));
                for (int i = at + r.nextInt(len); i < at + len; i += 7) {
                    s[i] = Math.min(1, s[i] + 0.5);
                }
                at += len + 20 + r.nextInt(60);
            }
            corpus.add(new NabScorer.File("f" + f, seconds(n), s, w));
        }
        TreeSet<Double> candidates = new TreeSet<>(List.of(NabScorer.NEVER));
        corpus.forEach(f -> {
            for (double x : f.scores()) {
                candidates.add(x);
            }
        });
        NabScorer nab = NabScorer.standard();
        for (NabScorer.Profile p : NabScorer.PROFILES) {
            NabScorer.Result best = nab.optimise(corpus, p);
            double bruteForce = candidates.stream().mapToDouble(c -> nab.scoreAt(corpus, p, c).raw()).max()
                    .orElseThrow();
            assertEquals(bruteForce, best.raw(), 1e-9, p.name());
            NabScorer.Result at = nab.scoreAt(corpus, p, best.threshold());
            assertEquals(at.raw(), best.raw(), 1e-9);
            assertEquals(at.tp(), best.tp());
            assertEquals(at.fp(), best.fp());
            assertTrue(best.normalized() > 0 && best.normalized() < 100, p.name() + " " + best.normalized());
        }
        assertFalse(nab.optimise(corpus, NabScorer.PROFILES.get(2)).normalized()
                == nab.optimise(corpus, NabScorer.PROFILES.get(0)).normalized());
    }

    @Test
    void rowsAreTakenInFileOrderLikeNab() {
        // the clock steps back by 3 s after row 5 (as in NAB's machine_temperature file): rows 6..8 repeat the times
        // of rows 3..5, which hold the window; NAB leaves the window at row 6 and so must we
        long[] ts = {0, 1000, 2000, 3000, 4000, 5000, 3000, 4000, 5000, 6000};
        double[] s = new double[10];
        s[6] = 1.0; // at 3 s, inside the window's time range, but after the window in file order
        NabScorer.File f = new NabScorer.File("f", ts, s, List.of(rows(3, 4)));
        NabScorer.Result r = NO_PROBATION.scoreAt(List.of(f), STANDARD, 0.5);
        assertEquals(1, r.fp());
        assertEquals(-1 + 0.11 * sigma(2), r.raw(), EPS); // missed window, FP 2 window-widths - 1 past its end
        assertEquals(0, r.tp());
    }

    @Test
    void profilesFromNabsFile() {
        String json = "{\"standard\": {\"CostMatrix\": {\"tpWeight\": 1.0, \"fnWeight\": 1.0, \"fpWeight\": 0.11, "
                + "\"tnWeight\": 1.0}}, \"reward_low_FN_rate\": {\"CostMatrix\": {\"tpWeight\": 1.0, "
                + "\"fnWeight\": 2.0, \"fpWeight\": 0.11, \"tnWeight\": 1.0}}}";
        List<NabScorer.Profile> p = NabScorer.parseProfiles(json, "profiles.json");
        assertEquals(List.of(NabScorer.PROFILES.get(0), NabScorer.PROFILES.get(2)), p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NabScorer.parseProfiles("{\"x\": {\"CostMatrix\": {\"tpWeight\": 1}}}", "p.json"));
        assertTrue(e.getMessage().contains("CostMatrix.fpWeight"), e.getMessage());
        Path shared = Path.of("../shared/data/nab/labels/profiles.json");
        if (Files.exists(shared)) {
            try {
                assertEquals(NabScorer.PROFILES, NabScorer.parseProfiles(Files.readString(shared), "profiles.json"));
            } catch (java.io.IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        }
    }
}
