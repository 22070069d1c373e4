package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Defects found by the first review of the core, each pinned by the case that showed it. */
class CoreRegressionTest {

    @Test
    void welfordVarianceAt1e15WithNoiseNearTheUlp() {
        Random r = new Random(42);
        double[] xs = new double[1000];
        StatsAccumulator s = new StatsAccumulator(1, false);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = 1e15 + r.nextDouble();
            s.add(new double[] {xs[i]});
        }
        double exact = StatsAccumulatorTest.exactVariance(xs);
        assertEquals(exact, s.variance(0), exact * 1e-3);
    }

    @Test
    void fractionSplitFloorsAFloatingPointProduct() {
        Segment seg = TimeSplitTest.segment(0, 0L, 100);
        TimeSplit.fractions(0.29, 0.0).assign(List.of(seg));
        int train = 0;
        for (byte b : seg.split) {
            train += b == SplitLabel.TRAIN.code() ? 1 : 0;
        }
        assertEquals(29, train); // floor(100 * 0.29) = 29
    }

    @Test
    void mergeIntoEmptyIsExact() {
        StatsAccumulator a = new StatsAccumulator(1, false);
        for (int i = 0; i < 3; i++) {
            a.add(new double[] {0.1});
        }
        StatsAccumulator e = new StatsAccumulator(1, false).merge(a);
        assertEquals(a.mean(0), e.mean(0));
    }

    @Test
    void nonFiniteDetailQuotesTheValue() {
        RawRowParser p = new RawRowParser(TimestampParser.of("auto", ZoneOffset.UTC), "date", List.of("load"),
                RawRowParser.NonFinite.QUARANTINE);
        RawRowParser.Result r = p.parse(true, "s", "2024-01-01", new String[] {"NaN"}, false, p.newResult());
        assertTrue(r.detail.contains("'NaN'"), r.detail);
    }

    @Test
    void lowerCaseNanIsNonFiniteNotBadNumber() {
        RawRowParser p = new RawRowParser(TimestampParser.of("auto", ZoneOffset.UTC), "date", List.of("load"),
                RawRowParser.NonFinite.FILL);
        RawRowParser.Result r = p.parse(true, "s", "2024-01-01", new String[] {"nan"}, false, p.newResult());
        assertTrue(r.ok(), r.reason + ": " + r.detail);
    }

    @Test
    void patternModeRejectsFebruary30() {
        TimestampParser t = TimestampParser.of("pattern:dd/MM/yyyy HH:mm", ZoneOffset.UTC);
        assertEquals(TimestampParser.INVALID, t.parse("30/02/2024 00:00"), "parsed as " + t.parse("30/02/2024 00:00"));
    }

    @Test
    void compactDateIsReadAsAnIsoBasicDateNotEpochSeconds() {
        TimestampParser t = TimestampParser.of("auto", ZoneOffset.UTC);
        assertEquals(1_704_067_200_000L, t.parse("20240101"));
        assertEquals(TimestampParser.INVALID, t.parse("20241301"));
    }

    @Test
    void upperCaseMIsRejectedAsAmbiguous() {
        // pandas' "M" means month, which is no fixed step; it must not silently become minutes
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Frequency.parse("1M"));
        assertTrue(e.getMessage().contains("'1M'"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class,
                () -> Frequency.parse("300000000000d"));
    }

    @Test
    void duplicateLastIgnoresNaNLikeTheAggregations() {
        SeriesAssembler s = new SeriesAssembler("s", new ResampleSpec(Frequency.parse("1h"), 0,
                ResampleSpec.Aggregation.MEAN, ResampleSpec.Duplicates.LAST, 0, ResampleSpec.GapFill.LINEAR), 1);
        s.add(0, new double[] {1});
        s.add(0, new double[] {Double.NaN});
        AssembledSeries a = s.finish();
        assertEquals(1, a.segments().size(), "stepsIncomplete=" + a.stepsIncomplete());
    }

    @Test
    void normalizerWithValueKeepingStatsForZscore() {
        StatsAccumulator a = new StatsAccumulator(1, true);
        a.add(new double[] {1});
        a.add(new double[] {2});
        Normalizer n = Normalizer.fit(Normalization.ZSCORE, List.of("x"), java.util.Map.of("a", a));
        assertEquals(1.5, n.scaleFor("a").center()[0]);
        assertEquals(1.5, n.global().center()[0]);
    }
}
