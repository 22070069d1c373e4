package io.tsforge.bench;

import io.tsforge.core.TimestampParser;
import io.tsforge.eval.Labels;
import io.tsforge.eval.NabScorer;
import io.tsforge.eval.SeasonalResidualDetector;
import io.tsforge.eval.StreamingNoveltyDetector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The NAB subset benchmark: for every {@code data/<group>/<file>.csv} under {@code --data}, a detector learns only
 * from the file's probation rows ({@code min(floor(0.15 n), 750)}), then scores the later rows online, and the corpus
 * is scored with NAB's three profiles at their best corpus-wide thresholds ({@link NabScorer}).
 * <ul>
 *   <li>{@code --detector novelty} (default): {@link StreamingNoveltyDetector} with its default settings, each
 *   changeable with {@code --set key=value} (the same value for every file);</li>
 *   <li>{@code --detector residual}: the first baseline, robust z-scores (probation median and MAD) of the one-step and
 *   one-day differences, kept only when a row beats every earlier score ({@code TSFORGE_NAB_RECORDS=0}: every row
 *   keeps its score).</li>
 * </ul>
 * Rows are written in NAB's results format ({@code timestamp,value,anomaly_score,label}) under {@code --out}, so they
 * can be re-scored; {@code --verbose} prints each file's detections at the standard profile's threshold.
 */
public final class NabBench {

    private NabBench() {
    }

    /** Keep only record-breaking scores (on by default; TSFORGE_NAB_RECORDS=0 turns it off for comparison). */
    static final boolean RECORDS = !"0".equals(System.getenv("TSFORGE_NAB_RECORDS"));

    record Series(String key, long[] ts, double[] values) {
    }

    public static void main(String[] args) throws IOException {
        Path data = null;
        Path out = Path.of("out/bench-nab");
        String detector = "novelty";
        boolean verbose = false;
        Map<String, String> sets = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--detector" -> detector = args[++i];
                case "--verbose" -> verbose = true;
                case "--set" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq < 1) {
                        System.err.println("error: --set expects key=value, found '" + kv + "'");
                        System.exit(2);
                    }
                    sets.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                default -> {
                    System.err.println("usage: jobs/bench-nab.sh --data PATH [--out DIR] [--detector novelty|residual]"
                            + " [--set key=value ...] [--verbose]; unknown argument '" + args[i] + "'");
                    System.exit(2);
                }
            }
        }
        if (!detector.equals("novelty") && !detector.equals("residual")) {
            System.err.println("error: --detector must be novelty or residual, found '" + detector + "'");
            System.exit(2);
        }
        StreamingNoveltyDetector.Settings settings;
        try {
            settings = StreamingNoveltyDetector.Settings.of(sets);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (data == null || !Files.isDirectory(data.resolve("data"))) {
            System.err.println("error: --data must name NAB's folder (holding data/ and labels/), found " + data);
            System.exit(2);
        }
        TimestampParser tp = TimestampParser.of("auto", ZoneOffset.UTC);
        Labels labels = Labels.parseNabWindows(Files.readString(data.resolve("labels/combined_windows.json")), tp,
                k -> k, "combined_windows.json");
        Path profilesFile = data.resolve("labels/profiles.json");
        List<NabScorer.Profile> profiles = Files.exists(profilesFile)
                ? NabScorer.parseProfiles(Files.readString(profilesFile), profilesFile.toString()) : NabScorer.PROFILES;
        NabScorer nab = NabScorer.standard();
        List<NabScorer.File> corpus = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(data.resolve("data"))) {
            files = s.filter(p -> p.toString().endsWith(".csv")).sorted().toList();
        }
        long t0 = System.nanoTime();
        Map<String, String[]> reasons = new LinkedHashMap<>();
        for (Path f : files) {
            String key = data.resolve("data").relativize(f).toString().replace('\\', '/');
            if (!labels.labels(key)) {
                System.err.println("warning: " + key + " has no entry in combined_windows.json; skipped");
                continue;
            }
            Series s = read(f, key, tp);
            int probation = nab.probation(s.ts().length);
            double[] scores;
            if (detector.equals("residual")) {
                scores = score(s, probation);
            } else {
                StreamingNoveltyDetector d = StreamingNoveltyDetector.fit(Arrays.copyOf(s.values(), probation),
                        StreamingNoveltyDetector.rowsPerDay(s.ts()), settings);
                scores = new double[s.values().length];
                String[] why = new String[scores.length];
                for (int t = probation; t < scores.length; t++) {
                    scores[t] = d.next(s.values()[t]);
                    why[t] = d.lastFeature();
                }
                reasons.put(key, why);
            }
            corpus.add(new NabScorer.File(key, s.ts(), scores, labels.windows(key)));
            write(out.resolve(key), s, scores, labels.windows(key));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "NAB subset: %d files, %,d rows, %d windows; detector scored in %.1f s; rows "
                        + "under %s%n", corpus.size(), corpus.stream().mapToInt(c -> c.timestamps().length).sum(),
                labels.windowCount(), seconds, out);
        if (detector.equals("novelty")) {
            System.out.println("detector: streaming novelty, " + settings);
        } else {
            System.out.println("detector: seasonal residual z-scores" + (RECORDS ? ", records only" : ""));
        }
        System.out.printf("%-20s %8s %12s %6s %6s %8s%n", "profile", "score", "threshold", "TP", "FP", "raw");
        StringBuilder json = new StringBuilder("{\n");
        for (NabScorer.Profile p : profiles) {
            NabScorer.Result r = nab.optimise(corpus, p);
            System.out.printf(Locale.ROOT, "%-20s %8.1f %12.6f %6d %6d %8.3f%n", p.name(), r.normalized(),
                    r.threshold(), r.tp(), r.fp(), r.raw());
            json.append(String.format(Locale.ROOT, "  \"%s\": {\"score\": %.4f, \"threshold\": %.9f, \"raw\": %.6f, "
                    + "\"tp\": %d, \"fp\": %d},%n", p.name(), r.normalized(), r.threshold(), r.raw(), r.tp(), r.fp()));
        }
        if (verbose) {
            NabScorer.Result r = nab.optimise(corpus, profiles.get(0));
            for (NabScorer.File f : corpus) {
                System.out.println(breakdown(f, nab.probation(f.timestamps().length), r.threshold(),
                        reasons.get(f.name())));
            }
        }
        json.setLength(json.length() - 2);
        json.append("\n}\n");
        Files.createDirectories(out);
        Files.writeString(out.resolve("scores.json"), json);
    }

    /** One line per file: its detections at a threshold, each marked with its window (or FP) and its feature. */
    static String breakdown(NabScorer.File f, int probation, double threshold, String[] why) {
        int[] of = NabScorer.windowOf(f);
        StringBuilder sb = new StringBuilder(f.name()).append(" windows:");
        int maxW = Arrays.stream(of).max().orElse(-1);
        for (int w = 0; w <= maxW; w++) {
            int l = -1, r = -1;
            for (int i = 0; i < of.length; i++) {
                if (of[i] == w) {
                    r = i;
                    if (l < 0) {
                        l = i;
                    }
                }
            }
            sb.append(" [").append(l).append(',').append(r).append(']');
        }
        sb.append(" detections:");
        for (int i = probation; i < of.length; i++) {
            if (f.scores()[i] >= threshold) {
                sb.append(' ').append(i).append(of[i] >= 0 ? "(W" + of[i] + ")" : "(FP)")
                        .append(String.format(Locale.ROOT, "%.3f", f.scores()[i]))
                        .append(why == null ? "" : ":" + why[i]);
            }
        }
        return sb.toString();
    }

    static Series read(Path f, String key, TimestampParser tp) throws IOException {
        List<String> lines = Files.readAllLines(f);
        if (lines.isEmpty() || !lines.get(0).trim().equalsIgnoreCase("timestamp,value")) {
            throw new IllegalArgumentException(f + ": expected the header 'timestamp,value', found '"
                    + (lines.isEmpty() ? "" : lines.get(0)) + "'");
        }
        long[] ts = new long[lines.size() - 1];
        double[] v = new double[ts.length];
        for (int i = 1; i < lines.size(); i++) {
            String[] x = lines.get(i).split(",");
            ts[i - 1] = tp.parse(x[0].trim());
            if (ts[i - 1] == TimestampParser.INVALID) {
                throw new IllegalArgumentException(f + " line " + (i + 1) + ": cannot read timestamp '" + x[0] + "'");
            }
            v[i - 1] = Double.parseDouble(x[1].trim());
        }
        return new Series(key, ts, v);
    }

    /** Scores every row with a detector fitted on the first {@code probation} rows only. */
    static double[] score(Series s, int probation) {
        int n = s.values().length;
        boolean[] fit = new boolean[n];
        Arrays.fill(fit, 0, probation, true);
        long[] d = new long[Math.max(1, n - 1)];
        for (int i = 1; i < n; i++) {
            d[i - 1] = s.ts()[i] - s.ts()[i - 1];
        }
        long[] sorted = d.clone();
        Arrays.sort(sorted);
        long step = Math.max(1, sorted[sorted.length / 2]);
        int day = (int) Math.max(1, 86_400_000L / step);
        double[] out = new double[n];
        List<int[]> seasons = new ArrayList<>(List.of(new int[]{1}));
        if (day > 1 && day < probation / 2) {
            seasons.add(new int[]{day});
        }
        for (int[] season : seasons) {
            SeasonalResidualDetector det = SeasonalResidualDetector.fit(season[0], List.of(s.values()),
                    List.of(fit));
            if (det == null) {
                continue;
            }
            for (int t = season[0]; t < n; t++) {
                double z = Math.abs(s.values()[t] - s.values()[t - season[0]] - det.median()) / det.scale();
                out[t] = Math.max(out[t], z / (1 + z));
            }
        }
        if (RECORDS) {
            // streaming: a row keeps its score only when it beats every score since the probation period ended, so
            // a long anomaly or a noisy stretch raises one alarm at its start instead of one per row
            double best = 0;
            for (int t = probation; t < n; t++) {
                double x = out[t];
                out[t] = x > best ? x : 0;
                best = Math.max(best, x);
            }
        }
        return out;
    }

    static void write(Path file, Series s, double[] scores, List<Labels.Window> windows) throws IOException {
        Files.createDirectories(file.getParent());
        StringBuilder sb = new StringBuilder("timestamp,value,anomaly_score,label\n");
        for (int i = 0; i < scores.length; i++) {
            long t = s.ts()[i];
            boolean in = windows.stream().anyMatch(w -> w.contains(t));
            sb.append(java.time.Instant.ofEpochMilli(t).toString().replace('T', ' ').replace("Z", "")).append(',')
                    .append(s.values()[i]).append(',').append(String.format(Locale.ROOT, "%.9f", scores[i]))
                    .append(',').append(in ? 1 : 0).append('\n');
        }
        Files.writeString(file, sb);
    }
}
