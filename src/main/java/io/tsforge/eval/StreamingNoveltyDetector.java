package io.tsforge.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A streaming anomaly detector for one univariate series: it learns from a probation period (the series' first rows)
 * and then runs online, one row at a time, never looking ahead (the NAB protocol). Spark-free, no labels.
 *
 * <p><b>Features.</b> Every row gets a set of features at several time scales {@code w} (means over the last
 * {@code w} rows): the level, the change over {@code w} rows, the mean absolute one-step change (volatility, for
 * {@code w > 1}) and, when the probation period holds at least two seasons (a day, a week, from the series' usual
 * step), the seasonal difference. A feature is used only when the probation period holds at least {@code 4 w} rows.
 * Each feature becomes a robust z-score with the median and MAD of its probation values (falling back to the mean
 * absolute deviation, then to a tiny scale, when the MAD is 0: a feature that never moved in probation makes any move
 * surprising).
 *
 * <p><b>Surprise.</b> Each feature keeps the {@code K = ceil((1 - tailQuantile) P)} largest z-scores it has seen
 * ({@code P} probation rows), over a sliding memory of {@code memory * P} rows (0 = everything seen). A z-score is
 * scored by its tail probability {@code p} among the rows remembered: empirically ({@code (c + 1) / (N + 1)}, with
 * {@code c} kept values at or above it) when it falls among the kept values, and beyond the largest one by a Pareto
 * tail fitted on the kept values' log-spacings (so a value twice the previous record in a heavy-tailed feature is less
 * surprising than in a light-tailed one). Rows below the kept values score {@code (K + 1) / (N + 1)}. A recurring
 * pattern (a daily step) thus stops being surprising once seen, and the memory lets an old anomaly be forgotten so that
 * the next one of the same size is noticed again. The row's surprise is {@code L = max over features of -log10 p},
 * reported as {@code L / (1 + L)} in [0, 1) (0.8 is {@code p = 1e-4}).
 *
 * <p><b>Suppression.</b> One anomaly raises alarms on consecutive rows and in several features; only the first is
 * useful (in NAB later ones are false positives once the window has ended). After a row scores at least
 * {@link Settings#fireLevel}, the next {@code suppress * P} rows score 0 (the detector still learns from them).
 *
 * <p>Use {@link #fit} on the probation rows, then {@link #next} for every later row in time order, or
 * {@link #scoreSeries} for a whole series. Not thread-safe; one instance per series.
 */
public final class StreamingNoveltyDetector {

    /**
     * Corpus-wide settings (no per-series knobs).
     *
     * @param scales       window lengths in rows (1 = the raw row)
     * @param tailQuantile the share of probation z-scores below the kept tail ({@code K = ceil((1 - q) P)})
     * @param memory       sliding memory of the tails in probation lengths (0 = remember everything)
     * @param fireLevel    a score at or above which later rows are suppressed (the alarm level)
     * @param suppress     how long to stay quiet after an alarm, in probation lengths
     * @param seasonal     whether to add seasonal differences (a day, a week) when the probation holds two seasons
     */
    public record Settings(int[] scales, double tailQuantile, double memory, double fireLevel, double suppress,
                           boolean seasonal) {
        public Settings {
            if (scales == null || scales.length == 0) {
                throw new IllegalArgumentException("scales: give at least one window length, found none");
            }
            for (int w : scales) {
                if (w < 1) {
                    throw new IllegalArgumentException("scales: window lengths must be >= 1, found " + w);
                }
            }
            scales = scales.clone();
            if (!(tailQuantile > 0 && tailQuantile < 1)) {
                throw new IllegalArgumentException("tailQuantile must be in (0, 1), found " + tailQuantile);
            }
            if (!(memory >= 0) || Double.isInfinite(memory)) {
                throw new IllegalArgumentException("memory must be finite and >= 0 (0 = remember everything), found "
                        + memory);
            }
            if (!(fireLevel > 0 && fireLevel <= 1)) {
                throw new IllegalArgumentException("fireLevel must be in (0, 1], found " + fireLevel);
            }
            if (!(suppress >= 0) || Double.isInfinite(suppress)) {
                throw new IllegalArgumentException("suppress must be finite and >= 0, found " + suppress);
            }
        }

        /** The defaults, chosen on the NAB subset (see the README's NAB section for what was tried). */
        public static Settings defaults() {
            return new Settings(new int[]{1, 6, 36}, 0.95, 16, 0.8, 0.5, true);
        }

        /** A copy with one setting changed, e.g. {@code with("scales", "1,6,36")}, {@code with("memory", "16")}. */
        public Settings with(String key, String value) {
            try {
                return switch (key) {
                    case "scales" -> new Settings(Arrays.stream(value.split(",")).mapToInt(s -> Integer.parseInt(
                            s.trim())).toArray(), tailQuantile, memory, fireLevel, suppress, seasonal);
                    case "tailQuantile" -> new Settings(scales, Double.parseDouble(value), memory, fireLevel,
                            suppress, seasonal);
                    case "memory" -> new Settings(scales, tailQuantile, Double.parseDouble(value), fireLevel,
                            suppress, seasonal);
                    case "fireLevel" -> new Settings(scales, tailQuantile, memory, Double.parseDouble(value),
                            suppress, seasonal);
                    case "suppress" -> new Settings(scales, tailQuantile, memory, fireLevel,
                            Double.parseDouble(value), seasonal);
                    case "seasonal" -> {
                        if (!value.equals("true") && !value.equals("false")) {
                            throw new IllegalArgumentException("detector setting 'seasonal': expected true or false, "
                                    + "found '" + value + "'");
                        }
                        yield new Settings(scales, tailQuantile, memory, fireLevel, suppress,
                                Boolean.parseBoolean(value));
                    }
                    default -> throw new IllegalArgumentException("unknown detector setting '" + key
                            + "' (known: scales, tailQuantile, memory, fireLevel, suppress, seasonal)");
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("detector setting '" + key + "': not a number: '" + value + "'");
            }
        }

        /** The defaults with {@code key=value} overrides applied in order. */
        public static Settings of(Map<String, String> overrides) {
            Settings s = defaults();
            for (Map.Entry<String, String> e : overrides.entrySet()) {
                s = s.with(e.getKey(), e.getValue());
            }
            return s;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "scales=%s tailQuantile=%s memory=%s fireLevel=%s suppress=%s "
                    + "seasonal=%s", Arrays.toString(scales).replace(" ", ""), tailQuantile, memory, fireLevel,
                    suppress, seasonal);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Settings s && Arrays.equals(scales, s.scales) && tailQuantile == s.tailQuantile
                    && memory == s.memory && fireLevel == s.fireLevel && suppress == s.suppress
                    && seasonal == s.seasonal;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(scales) * 31 + Double.hashCode(tailQuantile + 3 * memory + 7 * fireLevel
                    + 13 * suppress) + (seasonal ? 1 : 0);
        }
    }

    /** Feature kinds. */
    enum Kind { LEVEL, CHANGE, VOLATILITY, SEASONAL }

    /** One feature: kind, window, lag, robust centre and scale from probation, and its remembered tail. */
    static final class Feature {
        final Kind kind;
        final int w;
        final int lag;
        double centre;
        double scale;
        /** Rows remembered (capped by the memory). */
        double rows;
        /** The largest z-scores remembered, descending, and the rows they came from. */
        double[] top;
        long[] topRow;
        int topCount;

        Feature(Kind kind, int w, int lag) {
            this.kind = kind;
            this.w = w;
            this.lag = lag;
        }

        /** The first row at which the feature is defined. */
        int history() {
            return switch (kind) {
                case LEVEL -> w - 1;
                case CHANGE, VOLATILITY -> w;
                case SEASONAL -> w - 1 + lag;
            };
        }

        void offer(double z, long row) {
            if (topCount < top.length) {
                topCount++;
            } else if (z <= top[top.length - 1]) {
                return;
            }
            int i = topCount - 1;
            while (i > 0 && top[i - 1] < z) {
                top[i] = top[i - 1];
                topRow[i] = topRow[i - 1];
                i--;
            }
            top[i] = z;
            topRow[i] = row;
        }

        /** Forgets the kept values from rows before {@code oldest}. */
        void expire(long oldest) {
            int j = 0;
            for (int i = 0; i < topCount; i++) {
                if (topRow[i] >= oldest) {
                    top[j] = top[i];
                    topRow[j] = topRow[i];
                    j++;
                }
            }
            topCount = j;
        }

        /** log10 of the tail probability of z among the rows remembered (see the class comment). */
        double log10Tail(double z) {
            if (topCount == 0) {
                return Math.log10((top.length + 1.0) / (rows + 1.0));
            }
            int c = 0;
            while (c < topCount && top[c] >= z) {
                c++;
            }
            if (c >= topCount) {
                return Math.log10((topCount + 1.0) / (rows + 1.0));
            }
            if (c > 0) {
                return Math.log10((c + 1.0) / (rows + 1.0));
            }
            // beyond the largest: a Pareto tail whose index is the mean log-spacing of the kept values above the
            // smallest kept one (at least 1 z-unit), with a prior of one spacing of log 2
            double floor = Math.max(top[topCount - 1], 1.0);
            double gamma = Math.log(2);
            for (int i = 0; i < topCount - 1; i++) {
                gamma += Math.log(Math.max(top[i], floor) / floor);
            }
            gamma /= topCount;
            return Math.log10(1.0 / (rows + 1.0)) - Math.log(z / Math.max(top[0], floor)) / gamma / Math.log(10);
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase(Locale.ROOT) + "(w=" + w + (kind == Kind.SEASONAL ? ",lag=" + lag : "")
                    + ")";
        }
    }

    private final Settings settings;
    private final Feature[] features;
    private final int[] lags;
    private final int suppressRows;
    private final long memoryRows;
    /** Every value seen; prefix sums of values, absolute one-step changes and seasonal differences per lag. */
    private double[] values;
    private double[] sum;
    private double[] absChange;
    private final double[][] seasonalSum;
    private int n;
    private int quietUntil = -1;
    private int lastArgMax = -1;

    private StreamingNoveltyDetector(Settings settings, Feature[] features, int[] lags, int probation) {
        this.settings = settings;
        this.features = features;
        this.lags = lags;
        this.suppressRows = (int) Math.round(settings.suppress() * probation);
        this.memoryRows = Math.round(settings.memory() * probation);
        int cap = Math.max(16, probation * 2);
        this.values = new double[cap];
        this.sum = new double[cap + 1];
        this.absChange = new double[cap + 1];
        this.seasonalSum = new double[lags.length][cap + 1];
    }

    /**
     * Learns from the probation rows of a series.
     *
     * @param probationRows the series' first rows (at least 8, all finite)
     * @param rowsPerDay    rows per day at the series' usual step ({@link #rowsPerDay}; 0 or 1: no seasonal features)
     */
    public static StreamingNoveltyDetector fit(double[] probationRows, int rowsPerDay, Settings settings) {
        int p = probationRows.length;
        if (p < 8) {
            throw new IllegalArgumentException("probation: need at least 8 rows to learn from, found " + p);
        }
        for (int i = 0; i < p; i++) {
            if (!Double.isFinite(probationRows[i])) {
                throw new IllegalArgumentException("probation row " + i + ": value must be finite, found "
                        + probationRows[i]);
            }
        }
        List<Integer> lagList = new ArrayList<>();
        if (settings.seasonal() && rowsPerDay > 1) {
            for (int lag : new int[]{rowsPerDay, 7 * rowsPerDay}) {
                if (2 * lag <= p) {
                    lagList.add(lag);
                }
            }
        }
        int[] lags = lagList.stream().mapToInt(Integer::intValue).toArray();
        List<Feature> fs = new ArrayList<>();
        for (int w : settings.scales()) {
            if (w * 4 > p) {
                continue;
            }
            fs.add(new Feature(Kind.LEVEL, w, 0));
            fs.add(new Feature(Kind.CHANGE, w, 0));
            if (w > 1) {
                fs.add(new Feature(Kind.VOLATILITY, w, 0));
            }
            for (int lag : lags) {
                if (lag + w < p) {
                    fs.add(new Feature(Kind.SEASONAL, w, lag));
                }
            }
        }
        StreamingNoveltyDetector d = new StreamingNoveltyDetector(settings, fs.toArray(new Feature[0]), lags, p);
        for (double v : probationRows) {
            d.append(v);
        }
        double lo = Arrays.stream(probationRows).min().orElse(0);
        double hi = Arrays.stream(probationRows).max().orElse(0);
        double tiny = 1e-6 * Math.max(hi - lo, Math.max(1e-9, Math.abs(probationRows[0])));
        int keep = (int) Math.ceil((1 - settings.tailQuantile()) * p);
        for (Feature f : d.features) {
            int from = f.history();
            double[] x = new double[p - from];
            for (int t = from; t < p; t++) {
                x[t - from] = d.raw(f, t);
            }
            f.centre = median(x);
            double[] dev = new double[x.length];
            double meanAbs = 0;
            for (int i = 0; i < x.length; i++) {
                dev[i] = Math.abs(x[i] - f.centre);
                meanAbs += dev[i];
            }
            meanAbs /= x.length;
            double mad = 1.4826 * median(dev);
            f.scale = mad > tiny ? mad : 1.2533 * meanAbs > tiny ? 1.2533 * meanAbs : tiny;
            f.top = new double[Math.max(2, keep)];
            f.topRow = new long[f.top.length];
            for (int t = from; t < p; t++) {
                f.offer(dev[t - from] / f.scale, t);
            }
            f.rows = x.length;
        }
        return d;
    }

    /** Scores the next row (in time order after the probation rows, or after the last row given to next). */
    public double next(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("row " + n + ": value must be finite, found " + value);
        }
        append(value);
        int t = n - 1;
        double best = 0;
        int arg = -1;
        for (int k = 0; k < features.length; k++) {
            Feature f = features[k];
            double z = Math.abs(raw(f, t) - f.centre) / f.scale;
            double surprise = -f.log10Tail(z);
            if (surprise > best) {
                best = surprise;
                arg = k;
            }
            f.offer(z, t);
            f.rows++;
            if (memoryRows > 0) {
                f.expire(t - memoryRows + 1);
                f.rows = Math.min(f.rows, memoryRows);
            }
        }
        lastArgMax = arg;
        double score = best / (1 + best);
        if (t <= quietUntil) {
            return 0.0;
        }
        if (score >= settings.fireLevel()) {
            quietUntil = t + suppressRows;
        }
        return score;
    }

    /** The feature behind the last {@link #next} score (diagnostics), or null when none was surprising. */
    public String lastFeature() {
        return lastArgMax < 0 ? null : features[lastArgMax].toString();
    }

    /** The features in use, e.g. {@code level(w=1)}, {@code seasonal(w=6,lag=288)}. */
    public List<String> featureNames() {
        return Arrays.stream(features).map(Feature::toString).toList();
    }

    /** Scores a whole series: fits on its first {@code probation} rows (which score 0), runs online on the rest. */
    public static double[] scoreSeries(double[] values, int probation, int rowsPerDay, Settings settings) {
        if (probation < 8 || probation > values.length) {
            throw new IllegalArgumentException("probation must be in [8, " + values.length + "], found " + probation);
        }
        StreamingNoveltyDetector d = fit(Arrays.copyOf(values, probation), rowsPerDay, settings);
        double[] out = new double[values.length];
        for (int t = probation; t < values.length; t++) {
            out[t] = d.next(values[t]);
        }
        return out;
    }

    /** Rows per day at the median step between timestamps (epoch milliseconds); 0 when the step is a day or more. */
    public static int rowsPerDay(long[] timestamps) {
        if (timestamps.length < 2) {
            return 0;
        }
        long[] d = new long[timestamps.length - 1];
        for (int i = 1; i < timestamps.length; i++) {
            d[i - 1] = timestamps[i] - timestamps[i - 1];
        }
        Arrays.sort(d);
        long step = d[d.length / 2];
        return step <= 0 || step >= 86_400_000L ? 0 : (int) Math.round(86_400_000.0 / step);
    }

    // ----------------------------------------------------------------------------------------------------- internal

    private void append(double v) {
        if (n == values.length) {
            int cap = values.length * 2;
            values = Arrays.copyOf(values, cap);
            sum = Arrays.copyOf(sum, cap + 1);
            absChange = Arrays.copyOf(absChange, cap + 1);
            for (int j = 0; j < lags.length; j++) {
                seasonalSum[j] = Arrays.copyOf(seasonalSum[j], cap + 1);
            }
        }
        values[n] = v;
        sum[n + 1] = sum[n] + v;
        absChange[n + 1] = absChange[n] + (n > 0 ? Math.abs(v - values[n - 1]) : 0);
        for (int j = 0; j < lags.length; j++) {
            seasonalSum[j][n + 1] = seasonalSum[j][n] + (n >= lags[j] ? v - values[n - lags[j]] : 0);
        }
        n++;
    }

    /** The feature's value at row t (t >= f.history()). */
    private double raw(Feature f, int t) {
        int w = f.w;
        return switch (f.kind) {
            case LEVEL -> (sum[t + 1] - sum[t + 1 - w]) / w;
            case CHANGE -> (values[t] - values[t - w]) / w;
            case VOLATILITY -> (absChange[t + 1] - absChange[t + 1 - w]) / w;
            case SEASONAL -> {
                int j = 0;
                while (lags[j] != f.lag) {
                    j++;
                }
                yield (seasonalSum[j][t + 1] - seasonalSum[j][t + 1 - w]) / w;
            }
        };
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return 0;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length;
        return m % 2 == 1 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
    }
}
