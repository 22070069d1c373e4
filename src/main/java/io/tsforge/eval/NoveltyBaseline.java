package io.tsforge.eval;

import java.util.Arrays;

/**
 * {@code evaluate}'s non-deep anomaly baseline: {@link StreamingNoveltyDetector} run on one series, fitted without
 * look-ahead. Spark-free.
 *
 * <p><b>Probation.</b> The detector learns from the series' leading training rows that come before the first row the
 * model scored ({@code firstScored}): the same information the model was trained on, never a row it is judged on (when
 * {@code detect.from} reaches back into the training range, the probation stops before it). Every later row is then
 * scored online in time order, one at a time; rows between the probation and the first scored row (e.g. the validation
 * range when detect scored only the test range) are streamed but not reported.
 *
 * <p><b>Suppression.</b> The detector's {@code suppress} setting is in probation lengths, tuned for NAB's probation of
 * 15 % of a file; a whole training range is far longer, and half of it would silence the detector for the rest of the
 * data after its first alarm. Here the quiet period after an alarm is one season ({@code suppressRows} rows, e.g.
 * {@code evaluate.season}); every other setting is the detector's default.
 *
 * <p><b>Flags.</b> A row is flagged when its score reaches the detector's own alarm level
 * ({@link StreamingNoveltyDetector.Settings#fireLevel}, 0.8 = a tail probability of 1e-4): its scores are not on the
 * model's scale, so the model's threshold would mean nothing for it.
 */
public final class NoveltyBaseline {

    /** Fewer training rows than this: no baseline for the series. */
    public static final int MIN_PROBATION = 8;

    private NoveltyBaseline() {
    }

    /**
     * The baseline scores of one series.
     *
     * @param probation rows the detector learned from (0 when the series had too few)
     * @param scores    one per row: NaN for the probation rows, non-finite values, and every row when unfitted
     */
    public record Result(int probation, double[] scores) {
    }

    /** The settings evaluate uses for a probation of {@code probation} rows: the defaults, quiet for one season. */
    public static StreamingNoveltyDetector.Settings settings(int probation, int suppressRows) {
        if (probation < 1) {
            throw new IllegalArgumentException("probation must be >= 1, found " + probation);
        }
        if (suppressRows < 0) {
            throw new IllegalArgumentException("suppressRows must be >= 0, found " + suppressRows);
        }
        return StreamingNoveltyDetector.Settings.defaults().with("suppress",
                Double.toString((double) suppressRows / probation));
    }

    /**
     * Scores one series (rows in time order): fits on the leading rows that are training rows and earlier than
     * {@code firstScored}, then runs online on the rest. Non-finite values are skipped (not fed, scored NaN).
     *
     * @param ts          epoch milliseconds, ascending
     * @param values      the target
     * @param train       whether each row is in the training range
     * @param firstScored the first timestamp the model scored for this series
     */
    public static Result score(long[] ts, double[] values, boolean[] train, long firstScored, int suppressRows) {
        int n = ts.length;
        if (values.length != n || train.length != n) {
            throw new IllegalArgumentException("ts, values and train must have one entry per row, found " + n + ", "
                    + values.length + ", " + train.length);
        }
        double[] out = new double[n];
        Arrays.fill(out, Double.NaN);
        int p = 0;
        while (p < n && train[p] && ts[p] < firstScored) {
            p++;
        }
        double[] prob = Arrays.stream(Arrays.copyOf(values, p)).filter(Double::isFinite).toArray();
        if (prob.length < MIN_PROBATION) {
            return new Result(0, out);
        }
        StreamingNoveltyDetector d = StreamingNoveltyDetector.fit(prob,
                StreamingNoveltyDetector.rowsPerDay(Arrays.copyOf(ts, p)), settings(prob.length, suppressRows));
        for (int t = p; t < n; t++) {
            if (Double.isFinite(values[t])) {
                out[t] = d.next(values[t]);
            }
        }
        return new Result(prob.length, out);
    }
}
