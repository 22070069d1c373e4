package io.tsforge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Numenta Anomaly Benchmark score, following NAB's own sweeper ({@code nab/sweeper.py}):
 * <ul>
 *   <li>the first {@code min(floor(probationFraction * n), probationMax)} rows of each file are not scored;</li>
 *   <li>a detection at row {@code i} of a window of {@code w} rows ending at row {@code r} is worth
 *   {@code A_TP * sigma(-(r - i + 1) / w) / sigma(-1)} with {@code sigma(y) = 2 / (1 + e^(5y)) - 1} (and -1 for
 *   {@code y >= 3}); only the best (earliest) detection of a window counts, and a window with none costs
 *   {@code -A_FN};</li>
 *   <li>each detection outside every window costs {@code -A_FP} before the first window, else
 *   {@code A_FP * sigma((i - r) / (w - 1))} against the most recent window that ended before it (a one-row window
 *   counts as relative position 2, as in NAB's {@code scorer.py}, instead of dividing by zero);</li>
 *   <li>the threshold is one for the whole corpus, chosen from every distinct score and 1.1 (never fire) to maximise
 *   the summed score; a row is a detection when its score is at or above the threshold;</li>
 *   <li>normalised score = {@code 100 (raw - null) / (perfect - null)} with {@code null = -A_FN W} and
 *   {@code perfect = A_TP W}, {@code W} the windows holding at least one scored row.</li>
 * </ul>
 * Rows without a score (NaN) count as score 0. Like NAB, rows are taken in file order: a window starts at the first
 * row at or after its start and ends before the first row past its end, so NAB's own files, whose clocks repeat or step
 * back an hour ({@code ec2_request_latency_system_failure.csv}, {@code machine_temperature_system_failure.csv}), score
 * as NAB scores them.
 */
public final class NabScorer implements Serializable {

    /** A cost profile. */
    public record Profile(String name, double tpWeight, double fpWeight, double fnWeight) implements Serializable {
        public Profile {
            if (!(tpWeight > 0) || !(fpWeight >= 0) || !(fnWeight >= 0)) {
                throw new IllegalArgumentException("profile '" + name + "': weights must be tp > 0, fp >= 0, fn >= 0, "
                        + "found tp=" + tpWeight + ", fp=" + fpWeight + ", fn=" + fnWeight);
            }
        }
    }

    /** NAB's three profiles ({@code labels/profiles.json}). */
    public static final List<Profile> PROFILES = List.of(
            new Profile("standard", 1.0, 0.11, 1.0),
            new Profile("reward_low_FP_rate", 1.0, 0.22, 1.0),
            new Profile("reward_low_FN_rate", 1.0, 0.11, 2.0));

    /** One data file's rows in time order, their anomaly scores and its label windows. */
    public record File(String name, long[] timestamps, double[] scores, List<Labels.Window> windows)
            implements Serializable {
        public File {
            if (timestamps.length != scores.length) {
                throw new IllegalArgumentException(name + ": " + timestamps.length + " timestamps but "
                        + scores.length + " scores");
            }
            windows = List.copyOf(windows);
        }
    }

    /** The corpus score at one threshold. */
    public record Result(String profile, double threshold, double raw, double nullScore, double perfect,
                         double normalized, long tp, long fp, long fn, long tn, int windows) implements Serializable {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("profile", profile);
            m.put("threshold", threshold);
            m.put("score", normalized);
            m.put("raw", raw);
            m.put("null", nullScore);
            m.put("perfect", perfect);
            m.put("tp", tp);
            m.put("fp", fp);
            m.put("fn", fn);
            m.put("tn", tn);
            m.put("windows", windows);
            return m;
        }
    }

    public static final double NEVER = 1.1;

    private final double probationFraction;
    private final int probationMax;

    public NabScorer(double probationFraction, int probationMax) {
        if (!(probationFraction >= 0 && probationFraction < 1)) {
            throw new IllegalArgumentException("probation fraction must be in [0, 1), found " + probationFraction);
        }
        if (probationMax < 0) {
            throw new IllegalArgumentException("probation maximum must be >= 0, found " + probationMax);
        }
        this.probationFraction = probationFraction;
        this.probationMax = probationMax;
    }

    /** NAB's settings: 15 % probation, at most 750 rows. */
    public static NabScorer standard() {
        return new NabScorer(0.15, 750);
    }

    public int probation(int rows) {
        return (int) Math.min(Math.floor(probationFraction * rows), probationMax);
    }

    static double sigma(double y) {
        return y >= 3.0 ? -1.0 : 2.0 / (1.0 + Math.exp(5.0 * y)) - 1.0;
    }

    /** A scored row: its anomaly score, what it is worth if detected, and its window (global id, or -1). */
    record Point(double score, double worth, int window) {
    }

    /** Window id of every row of a file (-1 outside), after checking the windows do not overlap. */
    public static int[] windowOf(File f) {
        int[] of = new int[f.timestamps().length];
        java.util.Arrays.fill(of, -1);
        List<Labels.Window> ws = new ArrayList<>(f.windows());
        ws.sort((a, b) -> Long.compare(a.start(), b.start()));
        for (int k = 1; k < ws.size(); k++) {
            if (ws.get(k).start() <= ws.get(k - 1).end()) {
                throw new IllegalArgumentException(f.name() + ": label windows overlap: " + ws.get(k - 1) + " and "
                        + ws.get(k));
            }
        }
        int w = 0;
        boolean inside = false;
        for (int i = 0; i < of.length; i++) {
            long t = f.timestamps()[i];
            if (inside && t > ws.get(w).end()) {
                inside = false;
                w++;
            }
            while (!inside && w < ws.size() && t > ws.get(w).end()) {
                w++;
            }
            if (!inside && w < ws.size() && t >= ws.get(w).start()) {
                inside = true;
            }
            of[i] = inside ? w : -1;
        }
        return of;
    }

    /** The scored rows of a file with their worth; window ids start at {@code firstWindowId}. */
    List<Point> points(File f, Profile p, int firstWindowId, int[] windowsSeen) {
        int n = f.timestamps().length;
        int[] of = windowOf(f);
        int maxWindow = -1;
        for (int w : of) {
            maxWindow = Math.max(maxWindow, w);
        }
        int[] left = new int[maxWindow + 1];
        int[] right = new int[maxWindow + 1];
        java.util.Arrays.fill(left, -1);
        for (int i = 0; i < n; i++) {
            if (of[i] >= 0) {
                if (left[of[i]] < 0) {
                    left[of[i]] = i;
                }
                right[of[i]] = i;
            }
        }
        int probation = probation(n);
        boolean[] scoredWindow = new boolean[maxWindow + 1];
        List<Point> out = new ArrayList<>(n - probation);
        int prevRight = -1;
        int prevWidth = 0;
        double maxTp = sigma(-1.0);
        for (int i = 0; i < n; i++) {
            int w = of[i];
            double worth;
            if (w >= 0) {
                int width = right[w] - left[w] + 1;
                worth = p.tpWeight() * sigma(-(right[w] - i + 1) / (double) width) / maxTp;
            } else {
                double position = prevRight < 0 ? 3.0 : prevWidth <= 1 ? 2.0 : (i - prevRight) / (double) (prevWidth - 1);
                worth = p.fpWeight() * sigma(position);
            }
            if (i >= probation) {
                double s = Double.isNaN(f.scores()[i]) ? 0.0 : f.scores()[i];
                out.add(new Point(s, worth, w < 0 ? -1 : firstWindowId + w));
                if (w >= 0) {
                    scoredWindow[w] = true;
                }
            }
            if (w >= 0 && i == right[w]) {
                prevRight = i;
                prevWidth = right[w] - left[w] + 1;
            }
        }
        for (boolean b : scoredWindow) {
            if (b) {
                windowsSeen[0]++;
            }
        }
        windowsSeen[1] += maxWindow + 1;
        return out;
    }

    /** Scores the corpus at every candidate threshold and returns the best (ties: the higher threshold). */
    public Result optimise(List<File> corpus, Profile p) {
        List<Point> all = new ArrayList<>();
        int[] seen = new int[2];
        for (File f : corpus) {
            all.addAll(points(f, p, seen[1], seen));
        }
        int windows = seen[0];
        all.sort((a, b) -> Double.compare(b.score(), a.score()));
        double[] best = new double[seen[1]];
        boolean[] scorable = new boolean[seen[1]];
        for (Point x : all) {
            if (x.window() >= 0) {
                scorable[x.window()] = true;
            }
        }
        double total = 0;
        for (int k = 0; k < best.length; k++) {
            if (scorable[k]) {
                best[k] = -p.fnWeight();
                total += best[k];
            }
        }
        long tp = 0, fp = 0;
        long positives = all.stream().filter(x -> x.window() >= 0).count();
        double bestThreshold = NEVER;
        double bestScore = total;
        long bestTp = 0, bestFp = 0;
        int i = 0;
        while (i < all.size()) {
            double threshold = all.get(i).score();
            while (i < all.size() && all.get(i).score() == threshold) {
                Point x = all.get(i++);
                if (x.window() < 0) {
                    fp++;
                    total += x.worth();
                } else {
                    tp++;
                    if (x.worth() > best[x.window()]) {
                        total += x.worth() - best[x.window()];
                        best[x.window()] = x.worth();
                    }
                }
            }
            if (total > bestScore + 1e-12) {
                bestScore = total;
                bestThreshold = threshold;
                bestTp = tp;
                bestFp = fp;
            }
        }
        return result(p, bestThreshold, bestScore, windows, bestTp, bestFp, positives, all.size());
    }

    /**
     * Scores the corpus at a given threshold, file by file and window by window (the way NAB's {@code scorer.py}
     * does, independent of the sweep in {@link #optimise}).
     */
    public Result scoreAt(List<File> corpus, Profile p, double threshold) {
        double raw = 0;
        int windows = 0;
        long tp = 0, fp = 0, positives = 0, scored = 0;
        double maxTp = sigma(-1.0);
        for (File f : corpus) {
            int n = f.timestamps().length;
            int[] of = windowOf(f);
            int probation = probation(n);
            Map<Integer, int[]> bounds = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                if (of[i] >= 0) {
                    bounds.computeIfAbsent(of[i], k -> new int[]{-1, -1});
                    int[] b = bounds.get(of[i]);
                    if (b[0] < 0) {
                        b[0] = i;
                    }
                    b[1] = i;
                }
            }
            for (Map.Entry<Integer, int[]> e : bounds.entrySet()) {
                int l = e.getValue()[0], r = e.getValue()[1];
                if (r < probation) {
                    continue;
                }
                windows++;
                int first = -1;
                for (int i = Math.max(l, probation); i <= r; i++) {
                    positives++;
                    if (detected(f, i, threshold)) {
                        tp++;
                        if (first < 0) {
                            first = i;
                        }
                    }
                }
                raw += first < 0 ? -p.fnWeight()
                        : p.tpWeight() * sigma(-(r - first + 1) / (double) (r - l + 1)) / maxTp;
            }
            for (int i = probation; i < n; i++) {
                scored++;
                if (of[i] >= 0 || !detected(f, i, threshold)) {
                    continue;
                }
                fp++;
                int[] prev = null;
                for (int[] b : bounds.values()) {
                    if (b[1] < i) {
                        prev = b;
                    }
                }
                if (prev == null) {
                    raw -= p.fpWeight();
                } else {
                    int width = prev[1] - prev[0] + 1;
                    double position = width <= 1 ? 2.0 : (i - prev[1]) / (double) (width - 1);
                    raw += p.fpWeight() * sigma(position);
                }
            }
        }
        return result(p, threshold, raw, windows, tp, fp, positives, scored);
    }

    private static boolean detected(File f, int i, double threshold) {
        double s = Double.isNaN(f.scores()[i]) ? 0.0 : f.scores()[i];
        return s >= threshold;
    }

    private static Result result(Profile p, double threshold, double raw, int windows, long tp, long fp,
                                 long positives, long scored) {
        double nul = -p.fnWeight() * windows;
        double perfect = p.tpWeight() * windows;
        double normalized = perfect == nul ? Double.NaN : 100 * (raw - nul) / (perfect - nul);
        return new Result(p.name(), threshold, raw, nul, perfect, normalized, tp, fp, positives - tp,
                scored - positives - fp, windows);
    }

    /** Reads NAB's {@code profiles.json}: {@code {"standard": {"CostMatrix": {"tpWeight": 1, ...}}, ...}}. */
    public static List<Profile> parseProfiles(String json, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid JSON (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject() || root.isEmpty()) {
            throw new IllegalArgumentException(source + ": expected an object of profile name -> CostMatrix");
        }
        List<Profile> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode c = e.getValue().path("CostMatrix");
            for (String k : List.of("tpWeight", "fpWeight", "fnWeight")) {
                if (!c.path(k).isNumber()) {
                    throw new IllegalArgumentException(source + ": profile '" + e.getKey() + "' lacks a numeric "
                            + "CostMatrix." + k + ", found " + c.path(k));
                }
            }
            out.add(new Profile(e.getKey(), c.get("tpWeight").asDouble(), c.get("fpWeight").asDouble(),
                    c.get("fnWeight").asDouble()));
        }
        return out;
    }
}
