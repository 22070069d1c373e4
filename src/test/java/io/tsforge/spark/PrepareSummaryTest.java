package io.tsforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tsforge.core.AssembledSeries;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.Segment;
import io.tsforge.core.SplitLabel;
import io.tsforge.core.StatsAccumulator;
import io.tsforge.core.WindowSpec;
import io.tsforge.core.Windower;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.catalyst.InternalRow;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/** prepare's one pass for statistics and counts, and the window rows, against the per-series pieces they replace. */
class PrepareSummaryTest {

    private static final WindowSpec SPEC = new WindowSpec(6, 2, 3, 1, WindowSpec.ShortHistory.PAD, 2);

    /** A segment of {@code n} steps, split by step: train below {@code trainEnd}, then validation, then test. */
    private static Segment segment(String id, int index, long start, int n, int trainEnd, int validationEnd,
                                   double level) {
        double[][] v = new double[2][n];
        for (int t = 0; t < n; t++) {
            v[0][t] = level + Math.sin(t * 0.7) * 3 + t * 0.01;
            v[1][t] = -level + Math.cos(t * 1.3);
        }
        Segment s = new Segment(id, index, start, 60_000L, v, new boolean[n], new int[n]);
        s.split = new byte[n];
        for (int t = 0; t < n; t++) {
            s.split[t] = (t < trainEnd ? SplitLabel.TRAIN : t < validationEnd ? SplitLabel.VALIDATION
                    : SplitLabel.TEST).code();
        }
        return s;
    }

    private static List<AssembledSeries> series() {
        List<AssembledSeries> out = new ArrayList<>();
        // two segments with training steps, merged into one accumulator
        out.add(new AssembledSeries("a", List.of(segment("a", 0, 0, 40, 25, 32, 10),
                segment("a", 1, 3_600_000L, 30, 12, 20, 11)), 70, 2, 1, 1, 1, 0));
        // no training step: global statistics
        out.add(new AssembledSeries("b", List.of(segment("b", 0, 0, 20, 0, 10, 5)), 20, 0, 0, 0, 0, 0));
        // too short for any window
        out.add(new AssembledSeries("c", List.of(segment("c", 0, 0, 3, 3, 3, 7)), 3, 1, 0, 0, 0, 1));
        return out;
    }

    @Test
    void summaryEqualsPerSeriesStatisticsAndCounts() {
        for (Normalization method : new Normalization[]{Normalization.ZSCORE, Normalization.ROBUST}) {
            List<AssembledSeries> all = series();
            // two partitions, as the job sees them
            List<PrepareFunctions.PartitionSummary> parts = new ArrayList<>();
            PrepareFunctions.summarize(all.subList(0, 2).iterator(), method, SPEC).forEachRemaining(parts::add);
            PrepareFunctions.summarize(all.subList(2, 3).iterator(), method, SPEC).forEachRemaining(parts::add);
            Map<String, StatsAccumulator> stats = new TreeMap<>();
            PrepareFunctions.SeriesCounts counts = new PrepareFunctions.SeriesCounts();
            for (PrepareFunctions.PartitionSummary p : parts) {
                p.stats.forEach((id, acc) -> stats.merge(id, acc, StatsAccumulator::merge));
                counts.add(p.counts);
            }

            // what the job did before: trainStats merged by key in segment order, counts per series with the normalizer
            Map<String, StatsAccumulator> expected = new TreeMap<>();
            for (AssembledSeries s : all) {
                Iterator<Tuple2<String, StatsAccumulator>> it = PrepareFunctions.trainStats(s, method);
                it.forEachRemaining(t -> expected.merge(t._1(), t._2(), StatsAccumulator::merge));
            }
            assertEquals(expected.keySet(), stats.keySet());
            assertEquals(List.of("a", "c"), new ArrayList<>(stats.keySet()));
            for (String id : expected.keySet()) {
                StatsAccumulator e = expected.get(id);
                StatsAccumulator g = stats.get(id);
                assertEquals(e.count(), g.count());
                for (int f = 0; f < 2; f++) {
                    assertEquals(e.mean(f), g.mean(f), 0.0);
                    assertEquals(e.variance(f), g.variance(f), 0.0);
                    assertEquals(e.min(f), g.min(f), 0.0);
                    assertEquals(e.max(f), g.max(f), 0.0);
                }
            }
            Normalizer normalizer = Normalizer.fit(method, List.of("x", "y"), stats);
            counts.seriesOnGlobalStats(normalizer);
            PrepareFunctions.SeriesCounts before = new PrepareFunctions.SeriesCounts();
            for (AssembledSeries s : all) {
                PrepareFunctions.SeriesCounts c = PrepareFunctions.counts(s, SPEC);
                c.seriesOnGlobalStats = normalizer.hasOwnScale(s.seriesId()) ? 0 : 1;
                before.add(c);
            }
            assertEquals(3, counts.series);
            assertEquals(1, counts.seriesOnGlobalStats);
            assertEquals(before.seriesOnGlobalStats, counts.seriesOnGlobalStats);
            assertEquals(93, counts.rowsUsed);
            assertEquals(3, counts.rowsDuplicate);
            assertEquals(before.steps, counts.steps);
            assertEquals(before.segments, counts.segments);
            assertEquals(before.gapsSplit, counts.gapsSplit);
            assertEquals(before.stepsIncomplete, counts.stepsIncomplete);
            assertEquals(before.seriesWithoutWindows, counts.seriesWithoutWindows);
            assertEquals(1, counts.seriesWithoutWindows);
            assertEquals(before.windows.train, counts.windows.train);
            assertEquals(before.windows.validation, counts.windows.validation);
            assertEquals(before.windows.test, counts.windows.test);
            assertEquals(before.windows.straddling, counts.windows.straddling);
            assertEquals(before.windows.segmentsTooShort, counts.windows.segmentsTooShort);
        }
    }

    @Test
    void windowRowsAreTheWindowerWindowsInOrder() {
        for (AssembledSeries s : series()) {
            List<String> expected = new ArrayList<>();
            List<String> expectedAll = new ArrayList<>();
            Windower w = new Windower(SPEC);
            for (Segment seg : s.segments()) {
                w.cut(seg, (sg, origin, history, split) -> {
                    String row = s.seriesId() + "/" + sg.index + "/" + origin + "/"
                            + PrepareFunctions.micros(sg.timestamp(origin)) + "/" + history;
                    expectedAll.add(row + "/" + split.label);
                    if (split == SplitLabel.VALIDATION) {
                        expected.add(row);
                    }
                });
            }
            List<String> got = new ArrayList<>();
            // each row is read before the next is asked for (the rows are one reused buffer)
            Iterator<InternalRow> it = PrepareFunctions.windowRows(s, SPEC, SplitLabel.VALIDATION);
            while (it.hasNext()) {
                InternalRow r = it.next();
                assertEquals(5, r.numFields());
                got.add(r.getUTF8String(0) + "/" + r.getInt(1) + "/" + r.getInt(2) + "/" + r.getLong(3) + "/"
                        + r.getInt(4));
            }
            assertEquals(expected, got, s.seriesId());
            List<String> gotAll = new ArrayList<>();
            Iterator<InternalRow> all = PrepareFunctions.windowRows(s, SPEC);
            while (all.hasNext()) {
                InternalRow r = all.next();
                gotAll.add(r.getUTF8String(0) + "/" + r.getInt(1) + "/" + r.getInt(2) + "/" + r.getLong(3) + "/"
                        + r.getInt(4) + "/" + r.getUTF8String(5));
            }
            assertEquals(expectedAll, gotAll, s.seriesId());
            if (s.seriesId().equals("a")) {
                assertFalse(got.isEmpty());
            }
        }
    }
}
