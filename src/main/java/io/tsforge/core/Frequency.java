package io.tsforge.core;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A fixed sampling step such as {@code 30s}, {@code 5min}, {@code 1h} or {@code 1d}. */
public record Frequency(long millis, String text) implements Serializable {

    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(ms|s|sec|m|min|h|d)");

    public Frequency {
        if (millis <= 0) {
            throw new IllegalArgumentException("frequency must be > 0, found " + millis + " ms");
        }
    }

    /** Parses {@code <count><unit>} with unit one of ms, s, sec, m, min, h, d. */
    public static Frequency parse(String text) {
        String t = text.trim();
        if (t.endsWith("M") || t.endsWith("MS")) {
            throw new IllegalArgumentException("'" + text + "' is ambiguous (months are not a fixed step); use min for "
                    + "minutes or ms for milliseconds");
        }
        Matcher m = FORMAT.matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches() || m.group(1).length() > 12) {
            throw new IllegalArgumentException(
                    "expected <count><unit> with unit ms, s, min, h or d (e.g. 5min, 1h), found '" + text + "'");
        }
        long count = Long.parseLong(m.group(1));
        long unit = switch (m.group(2)) {
            case "ms" -> 1L;
            case "s", "sec" -> 1_000L;
            case "m", "min" -> 60_000L;
            case "h" -> 3_600_000L;
            default -> 86_400_000L;
        };
        if (count <= 0) {
            throw new IllegalArgumentException("frequency count must be > 0, found '" + text + "'");
        }
        return new Frequency(Math.multiplyExact(count, unit), t);
    }

    /** The start of the step that contains {@code ts}, steps being aligned to {@code alignOffsetMillis}. */
    public long floor(long ts, long alignOffsetMillis) {
        return Math.floorDiv(ts - alignOffsetMillis, millis) * millis + alignOffsetMillis;
    }

    @Override
    public String toString() {
        return text;
    }
}
