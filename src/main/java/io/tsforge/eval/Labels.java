package io.tsforge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsforge.core.TimestampParser;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Anomaly labels: per series, sorted non-overlapping windows {@code [start, end]} (inclusive epoch milliseconds). A
 * point label is a window whose start equals its end. Read from a CSV ({@code series_id,start,end[,...]} windows or
 * {@code series_id,timestamp[,...]} points) or from NAB's {@code combined_windows.json}.
 */
public final class Labels implements Serializable {

    /** One labelled window, inclusive at both ends. */
    public record Window(long start, long end) implements Serializable {
        public Window {
            if (end < start) {
                throw new IllegalArgumentException("label window ends before it starts: start=" + start + ", end="
                        + end);
            }
        }

        public boolean contains(long t) {
            return t >= start && t <= end;
        }
    }

    private final TreeMap<String, List<Window>> bySeries;

    public Labels(Map<String, List<Window>> windows) {
        bySeries = new TreeMap<>();
        windows.forEach((series, list) -> {
            List<Window> sorted = new ArrayList<>(list);
            sorted.sort((a, b) -> Long.compare(a.start(), b.start()));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i).start() <= sorted.get(i - 1).end()) {
                    throw new IllegalArgumentException("labels of series '" + series + "' overlap: "
                            + sorted.get(i - 1) + " and " + sorted.get(i));
                }
            }
            bySeries.put(series, List.copyOf(sorted));
        });
    }

    /** The windows of a series (empty when the series has none, or is not labelled at all). */
    public List<Window> windows(String series) {
        return bySeries.getOrDefault(series, List.of());
    }

    /** Whether the series appears in the labels (possibly with no window, as NAB's anomaly-free files do). */
    public boolean labels(String series) {
        return bySeries.containsKey(series);
    }

    public java.util.Set<String> series() {
        return bySeries.keySet();
    }

    public int windowCount() {
        return bySeries.values().stream().mapToInt(List::size).sum();
    }

    /**
     * Reads a label CSV with a header: {@code series_id} and either {@code start,end} (windows) or {@code timestamp}
     * (points); other columns are ignored. {@code source} names the file in error messages.
     */
    public static Labels parseCsv(String text, TimestampParser times, String source) {
        String[] lines = text.split("\r?\n");
        if (lines.length == 0 || lines[0].isBlank()) {
            throw new IllegalArgumentException(source + ": empty label file");
        }
        List<String> header = Arrays.stream(lines[0].split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
        int id = header.indexOf("series_id");
        int start = header.indexOf("start");
        int end = header.indexOf("end");
        int ts = header.indexOf("timestamp");
        if (id < 0 || !((start >= 0 && end >= 0) || ts >= 0)) {
            throw new IllegalArgumentException(source + ": the header must name series_id and start,end (windows) or "
                    + "timestamp (points), found '" + lines[0] + "'");
        }
        Map<String, List<Window>> m = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            String[] f = lines[i].split(",", -1);
            int need = Math.max(id, start >= 0 ? Math.max(start, end) : ts);
            if (f.length <= need) {
                throw new IllegalArgumentException(source + " line " + (i + 1) + ": expected at least " + (need + 1)
                        + " fields, found " + f.length + " in '" + lines[i] + "'");
            }
            String series = f[id].trim();
            if (series.isEmpty()) {
                throw new IllegalArgumentException(source + " line " + (i + 1) + ": empty series_id");
            }
            long a = time(times, start >= 0 ? f[start] : f[ts], source, i, start >= 0 ? "start" : "timestamp");
            long b = start >= 0 ? time(times, f[end], source, i, "end") : a;
            if (b < a) {
                throw new IllegalArgumentException(source + " line " + (i + 1) + ": end '" + f[end].trim()
                        + "' is before start '" + f[start].trim() + "'");
            }
            m.computeIfAbsent(series, k -> new ArrayList<>()).add(new Window(a, b));
        }
        return new Labels(m);
    }

    private static long time(TimestampParser times, String text, String source, int line, String field) {
        long t = times.parse(text.trim());
        if (t == TimestampParser.INVALID) {
            throw new IllegalArgumentException(source + " line " + (line + 1) + ": cannot read " + field + " '"
                    + text.trim() + "' as a timestamp");
        }
        return t;
    }

    /**
     * Reads NAB's {@code combined_windows.json}: {@code {"group/file.csv": [[start, end], ...], ...}}. Each key becomes
     * a series id through {@code seriesId} (e.g. the key itself, or the file name without {@code .csv}).
     */
    public static Labels parseNabWindows(String json, TimestampParser times, Function<String, String> seriesId,
                                         String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid JSON (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object of file -> windows");
        }
        Map<String, List<Window>> m = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            List<Window> list = new ArrayList<>();
            if (!e.getValue().isArray()) {
                throw new IllegalArgumentException(source + ": '" + e.getKey() + "' must map to a list of windows, "
                        + "found " + e.getValue());
            }
            for (JsonNode w : e.getValue()) {
                if (!w.isArray() || w.size() != 2) {
                    throw new IllegalArgumentException(source + ": a window of '" + e.getKey() + "' must be [start, "
                            + "end], found " + w);
                }
                long a = nabTime(times, w.get(0).asText(), source, e.getKey());
                long b = nabTime(times, w.get(1).asText(), source, e.getKey());
                list.add(new Window(a, b));
            }
            String id = seriesId.apply(e.getKey());
            if (m.put(id, list) != null) {
                throw new IllegalArgumentException(source + ": two files map to series '" + id + "'");
            }
        }
        return new Labels(m);
    }

    private static long nabTime(TimestampParser times, String text, String source, String key) {
        long t = times.parse(text);
        if (t == TimestampParser.INVALID) {
            throw new IllegalArgumentException(source + ": cannot read '" + text + "' (window of '" + key
                    + "') as a timestamp");
        }
        return t;
    }

    /** NAB's file key to a series id: the file name without its folder and {@code .csv}. */
    public static String nabFileName(String key) {
        String s = key.substring(key.lastIndexOf('/') + 1);
        return s.endsWith(".csv") ? s.substring(0, s.length() - 4) : s;
    }
}
