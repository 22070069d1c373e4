package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsforge.core.WindowSpec.ShortHistory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowerTest {

    private static final long T0 = 1_704_067_200_000L;
    private static final long H = 3_600_000L;

    /** One accepted window. */
    record W(int origin, int history, SplitLabel split) { }

    /** A segment whose labels are given one letter per step: R(train), V, T, N(one). */
    static Segment segment(String labels) {
        int n = labels.length();
        double[][] values = new double[1][n];
        for (int i = 0; i < n; i++) {
            values[0][i] = i;
        }
        Segment s = new Segment("s", 0, T0, H, values, new boolean[n], new int[n]);
        s.split = new byte[n];
        for (int i = 0; i < n; i++) {
            s.split[i] = SplitLabel.values()["RVTN".indexOf(labels.charAt(i))].code();
        }
        return s;
    }

    static String repeat(char c, int n) {
        return String.valueOf(c).repeat(n);
    }

    private static WindowSpec skip(int lookback, int horizon, int stride, int evalStride) {
        return new WindowSpec(lookback, horizon, stride, evalStride, ShortHistory.SKIP, lookback);
    }

    private static List<W> cut(WindowSpec spec, Segment seg, Windower.Counts counts) {
        List<W> out = new ArrayList<>();
        new Windower(spec).cut(seg, (s, origin, history, split) -> {
            assertTrue(s == seg);
            out.add(new W(origin, history, split));
        }, counts);
        return out;
    }

    private static List<Integer> origins(List<W> ws) {
        return ws.stream().map(W::origin).toList();
    }

    private static List<Integer> origins(List<W> ws, SplitLabel label) {
        return ws.stream().filter(w -> w.split == label).map(W::origin).toList();
    }

    private static List<Integer> range(int fromInclusive, int toInclusive, int step) {
        List<Integer> r = new ArrayList<>();
        for (int i = fromInclusive; i <= toInclusive; i += step) {
            r.add(i);
        }
        return r;
    }

    @Test
    void allTrainStrideOne() {
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(4, 3, 1, 1), segment(repeat('R', 20)), c);
        assertEquals(range(3, 16, 1), origins(ws));
        assertEquals(14, c.train);
        assertEquals(14, c.windows());
        assertEquals(0, c.validation + c.test + c.straddling + c.padded + c.segmentsTooShort);
        assertTrue(ws.stream().allMatch(w -> w.history == 4 && w.split == SplitLabel.TRAIN));
    }

    @Test
    void allTrainStrideTwo() {
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(4, 3, 2, 1), segment(repeat('R', 20)), c);
        assertEquals(List.of(3, 5, 7, 9, 11, 13, 15), origins(ws));
        assertEquals(7, c.train);
        assertEquals(7, c.windows());
    }

    @Test
    void trainValidationBoundary() {
        // steps 0..11 train, 12..19 validation
        Segment seg = segment(repeat('R', 12) + repeat('V', 8));
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(4, 3, 1, 1), seg, c);
        assertEquals(range(3, 8, 1), origins(ws, SplitLabel.TRAIN));        // targets within 4..11
        assertEquals(range(11, 16, 1), origins(ws, SplitLabel.VALIDATION)); // targets within 12..19
        assertEquals(6, c.train);
        assertEquals(6, c.validation);
        assertEquals(2, c.straddling); // origins 9 and 10: targets cross step 12
        assertEquals(0, c.test);
        // validation windows may take inputs from the training range
        assertEquals(4, ws.stream().filter(w -> w.origin == 11).findFirst().orElseThrow().history);
    }

    @Test
    void evalStrideAppliesToValidationOnly() {
        Segment seg = segment(repeat('R', 12) + repeat('V', 8));
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(4, 3, 1, 2), seg, c);
        assertEquals(range(3, 8, 1), origins(ws, SplitLabel.TRAIN));
        assertEquals(List.of(11, 13, 15), origins(ws, SplitLabel.VALIDATION));
        assertEquals(2, c.straddling);

        c = new Windower.Counts();
        ws = cut(skip(4, 3, 2, 1), seg, c);
        assertEquals(List.of(3, 5, 7), origins(ws, SplitLabel.TRAIN));
        assertEquals(range(11, 16, 1), origins(ws, SplitLabel.VALIDATION));
        assertEquals(1, c.straddling); // origin 9 is on the training stride, origin 10 is not
    }

    @Test
    void testWindowsUseEvalStride() {
        Segment seg = segment(repeat('R', 8) + repeat('T', 12));
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(4, 3, 1, 3), seg, c);
        assertEquals(range(3, 4, 1), origins(ws, SplitLabel.TRAIN));
        // test origins 7..16 on the eval stride counted from the first origin 3
        assertEquals(List.of(9, 12, 15), origins(ws, SplitLabel.TEST));
        assertEquals(3, c.test);
    }

    @Test
    void stepsPastTheTestEndProduceNoWindow() {
        // 0..9 train, 10..14 test, 15..19 none
        Segment seg = segment(repeat('R', 10) + repeat('T', 5) + repeat('N', 5));
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(4, 3, 1, 1), seg, c);
        assertEquals(range(3, 6, 1), origins(ws, SplitLabel.TRAIN));
        assertEquals(range(9, 11, 1), origins(ws, SplitLabel.TEST));
        assertEquals(7, c.windows());
        assertTrue(ws.stream().noneMatch(w -> w.split == SplitLabel.NONE));
        for (W w : ws) {
            for (int t = w.origin + 1; t <= w.origin + 3; t++) {
                assertTrue(seg.split[t] != SplitLabel.NONE.code(), "window " + w + " targets step " + t);
            }
        }
        // 7, 8 cross train/test; 12, 13 reach past the test end; 14..16 lie wholly past it
        assertEquals(7, c.straddling);
    }

    @Test
    void allNoneSegmentHasNoWindow() {
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(2, 1, 1, 1), segment(repeat('N', 10)), c);
        assertTrue(ws.isEmpty());
        assertEquals(0, c.windows());
    }

    @Test
    void segmentShorterThanLookbackPlusHorizon() {
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(skip(4, 3, 1, 1), segment(repeat('R', 6)), c);
        assertTrue(ws.isEmpty());
        assertEquals(1, c.segmentsTooShort);
        assertEquals(0, c.windows());

        Windower.Counts exact = new Windower.Counts();
        ws = cut(skip(4, 3, 1, 1), segment(repeat('R', 7)), exact);
        assertEquals(List.of(3), origins(ws));
        assertEquals(0, exact.segmentsTooShort);

        Windower.Counts one = new Windower.Counts();
        assertTrue(cut(skip(1, 1, 1, 1), segment("R"), one).isEmpty());
        assertEquals(1, one.segmentsTooShort);
    }

    @Test
    void padKeepsShortHistoriesDownToMinHistory() {
        WindowSpec spec = new WindowSpec(4, 3, 1, 1, ShortHistory.PAD, 2);
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(spec, segment(repeat('R', 20)), c);
        assertEquals(range(1, 16, 1), origins(ws));
        assertEquals(16, c.train);
        assertEquals(2, c.padded);
        assertEquals(2, ws.get(0).history);
        assertEquals(3, ws.get(1).history);
        for (W w : ws) {
            assertEquals(Math.min(4, w.origin + 1), w.history, "origin " + w.origin);
        }
    }

    @Test
    void padLetsShorterSegmentsThrough() {
        WindowSpec spec = new WindowSpec(4, 3, 1, 1, ShortHistory.PAD, 2);
        Windower.Counts c = new Windower.Counts();
        List<W> ws = cut(spec, segment(repeat('R', 5)), c); // origin 1 only, history 2
        assertEquals(List.of(new W(1, 2, SplitLabel.TRAIN)), ws);
        assertEquals(1, c.padded);
        assertEquals(0, c.segmentsTooShort);
        Windower.Counts tooShort = new Windower.Counts();
        assertTrue(cut(spec, segment(repeat('R', 4)), tooShort).isEmpty());
        assertEquals(1, tooShort.segmentsTooShort);
    }

    @Test
    void padWithMinHistoryEqualToLookbackIsSkip() {
        Windower.Counts pad = new Windower.Counts();
        Windower.Counts skip = new Windower.Counts();
        List<W> a = cut(new WindowSpec(4, 3, 1, 1, ShortHistory.PAD, 4), segment(repeat('R', 20)), pad);
        List<W> b = cut(skip(4, 3, 1, 1), segment(repeat('R', 20)), skip);
        assertEquals(b, a);
        assertEquals(0, pad.padded);
    }

    @Test
    void skipIgnoresTheGivenMinHistory() {
        WindowSpec spec = new WindowSpec(4, 3, 1, 1, ShortHistory.SKIP, 99);
        assertEquals(4, spec.minHistory());
        spec = new WindowSpec(4, 3, 1, 1, ShortHistory.SKIP, 1);
        assertEquals(4, spec.minHistory());
    }

    @Test
    void specRejectsBadValuesNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WindowSpec(0, 3, 1, 1, ShortHistory.SKIP, 1));
        assertEquals("window.lookback must be > 0, found 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowSpec(4, -1, 1, 1, ShortHistory.SKIP, 4));
        assertEquals("window.horizon must be > 0, found -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowSpec(4, 0, 1, 1, ShortHistory.SKIP, 4));
        assertTrue(e.getMessage().startsWith("window.horizon"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowSpec(4, 3, 1, 1, ShortHistory.PAD, 5));
        assertEquals("window.minHistory must be in [1, window.lookback=4], found 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowSpec(4, 3, 1, 1, ShortHistory.PAD, 0));
        assertTrue(e.getMessage().startsWith("window.minHistory"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowSpec(4, 3, 0, 1, ShortHistory.SKIP, 4));
        assertTrue(e.getMessage().startsWith("window.stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowSpec(4, 3, 1, 0, ShortHistory.SKIP, 4));
        assertTrue(e.getMessage().startsWith("window.evalStride"), e.getMessage());
    }

    @Test
    void segmentWithoutSplitIsRejected() {
        Segment seg = segment("RRRRRRRR");
        seg.split = null;
        Windower w = new Windower(skip(2, 1, 1, 1));
        assertThrows(IllegalStateException.class, () -> w.cut(seg, (s, o, h, l) -> { }));
    }

    @Test
    void countsAccumulateOverSegmentsAndMerge() {
        Windower w = new Windower(skip(4, 3, 1, 1));
        Windower.Counts c = new Windower.Counts();
        w.cut(segment(repeat('R', 20)), (s, o, h, l) -> { }, c);
        w.cut(segment(repeat('R', 3)), (s, o, h, l) -> { }, c);
        w.cut(segment(repeat('R', 12) + repeat('V', 8)), (s, o, h, l) -> { }, c);
        assertEquals(20, c.train);
        assertEquals(6, c.validation);
        assertEquals(2, c.straddling);
        assertEquals(1, c.segmentsTooShort);
        Windower.Counts other = w.cut(segment(repeat('T', 10)), (s, o, h, l) -> { });
        assertEquals(4, other.test);
        c.add(other);
        assertEquals(4, c.test);
        assertEquals(30, c.windows());
        assertEquals(1, c.segmentsTooShort);
    }

    /** Every window, in every configuration, stays inside its segment and comes in origin order. */
    @Test
    void windowsStayInsideTheSegmentAndComeInOrder() {
        String[] layouts = {
                repeat('R', 25),
                repeat('R', 10) + repeat('V', 7) + repeat('T', 8),
                repeat('R', 3) + repeat('V', 3) + repeat('T', 3) + repeat('N', 3),
                repeat('V', 5) + repeat('T', 30),
                "R", "RR", "RRRRR"
        };
        int checked = 0;
        for (String layout : layouts) {
            Segment seg = segment(layout);
            int n = seg.length();
            for (int lookback = 1; lookback <= 6; lookback++) {
                for (int horizon = 1; horizon <= 4; horizon++) {
                    for (int stride = 1; stride <= 3; stride++) {
                        for (int minHistory = 1; minHistory <= lookback; minHistory++) {
                            WindowSpec spec = new WindowSpec(lookback, horizon, stride, 4 - stride,
                                    ShortHistory.PAD, minHistory);
                            Windower.Counts c = new Windower.Counts();
                            List<W> ws = cut(spec, seg, c);
                            assertEquals(c.windows(), ws.size());
                            assertEquals(ws.stream().filter(w -> w.history < spec.lookback()).count(), c.padded);
                            int prev = -1;
                            for (W w : ws) {
                                assertTrue(w.origin > prev, "origins must increase");
                                prev = w.origin;
                                assertEquals(Math.min(lookback, w.origin + 1), w.history);
                                assertTrue(w.history >= minHistory);
                                assertTrue(w.origin - w.history + 1 >= 0, "input before the segment");
                                assertTrue(w.origin + horizon <= n - 1, "target after the segment");
                                for (int t = w.origin + 1; t <= w.origin + horizon; t++) {
                                    assertEquals(w.split.code(), seg.split[t], "target label");
                                }
                                assertTrue(w.split != SplitLabel.NONE);
                                checked++;
                            }
                            boolean tooShort = n < minHistory + horizon;
                            assertEquals(tooShort ? 1 : 0, c.segmentsTooShort);
                        }
                    }
                }
            }
        }
        assertTrue(checked > 1000, "checked " + checked);
    }

    /**
     * The windows and counts of random label sequences equal those of the definition checked origin by origin (every
     * target step in the first target's split, which is not NONE; stride counted from the first origin).
     */
    @Test
    void randomLabelsGiveTheWindowsOfTheDefinition() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(60);
            StringBuilder labels = new StringBuilder();
            while (labels.length() < n) {
                labels.append(repeat("RVTN".charAt(rnd.nextInt(4)), 1 + rnd.nextInt(12)));
            }
            Segment seg = segment(labels.substring(0, n));
            int lookback = 1 + rnd.nextInt(8);
            WindowSpec spec = new WindowSpec(lookback, 1 + rnd.nextInt(6), 1 + rnd.nextInt(4), 1 + rnd.nextInt(3),
                    rnd.nextBoolean() ? ShortHistory.SKIP : ShortHistory.PAD, 1 + rnd.nextInt(lookback));
            Windower.Counts got = new Windower.Counts();
            List<W> windows = cut(spec, seg, got);

            Windower.Counts want = new Windower.Counts();
            List<W> expected = new ArrayList<>();
            int first = spec.minHistory() - 1;
            int last = n - 1 - spec.horizon();
            if (last < first) {
                want.segmentsTooShort++;
            }
            for (int o = first; o <= last; o++) {
                SplitLabel label = SplitLabel.of(seg.split[o + 1]);
                int stride = label == SplitLabel.TRAIN ? spec.stride() : spec.evalStride();
                if ((o - first) % stride != 0) {
                    continue;
                }
                boolean same = label != SplitLabel.NONE;
                for (int t = o + 1; t <= o + spec.horizon(); t++) {
                    same &= SplitLabel.of(seg.split[t]) == label;
                }
                if (!same) {
                    want.straddling++;
                    continue;
                }
                int history = Math.min(spec.lookback(), o + 1);
                want.padded += history < spec.lookback() ? 1 : 0;
                switch (label) {
                    case TRAIN -> want.train++;
                    case VALIDATION -> want.validation++;
                    default -> want.test++;
                }
                expected.add(new W(o, history, label));
            }
            String what = "trial " + trial + " labels " + labels.substring(0, n) + " " + spec;
            assertEquals(expected, windows, what);
            assertEquals(List.of(want.train, want.validation, want.test, want.straddling, want.padded,
                    want.segmentsTooShort), List.of(got.train, got.validation, got.test, got.straddling, got.padded,
                    got.segmentsTooShort), what);
        }
    }
}
