package io.tsforge.core;

import java.io.Serializable;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;

/**
 * Turns timestamp text into epoch milliseconds. {@code auto} accepts ISO-8601 (with or without offset, {@code T} or
 * space), {@code yyyy-MM-dd HH:mm[:ss[.fraction]]}, {@code yyyy-MM-dd}, and epoch numbers (seconds when below 1e11,
 * else milliseconds). Text without an offset is read in the configured zone.
 *
 * <p>Returns {@link #INVALID} instead of throwing: a bad timestamp is an expected input, quarantined by the caller, and
 * exceptions per bad row would dominate the cost on dirty files.
 */
public final class TimestampParser implements Serializable {

    public static final long INVALID = Long.MIN_VALUE;

    /** How timestamp text is read. */
    public enum Mode { AUTO, EPOCH_SECONDS, EPOCH_MILLIS, PATTERN }

    private final Mode mode;
    private final ZoneId zone;
    private final String pattern;
    private transient DateTimeFormatter formatter;

    public TimestampParser(Mode mode, ZoneId zone, String pattern) {
        this.mode = mode;
        this.zone = zone;
        this.pattern = pattern;
        if (mode == Mode.PATTERN) {
            formatter(pattern); // fail early on a bad pattern
        }
    }

    /** {@code auto}, {@code epoch_s}, {@code epoch_ms} or {@code pattern:<java DateTimeFormatter pattern>}. */
    public static TimestampParser of(String format, ZoneId zone) {
        String f = format.trim();
        if (f.equalsIgnoreCase("auto")) {
            return new TimestampParser(Mode.AUTO, zone, null);
        } else if (f.equalsIgnoreCase("epoch_s")) {
            return new TimestampParser(Mode.EPOCH_SECONDS, zone, null);
        } else if (f.equalsIgnoreCase("epoch_ms")) {
            return new TimestampParser(Mode.EPOCH_MILLIS, zone, null);
        } else if (f.startsWith("pattern:")) {
            return new TimestampParser(Mode.PATTERN, zone, f.substring("pattern:".length()));
        }
        throw new IllegalArgumentException("expected auto, epoch_s, epoch_ms or pattern:<pattern>, found '" + format + "'");
    }

    public long parse(String text) {
        if (text == null) {
            return INVALID;
        }
        String s = text.trim();
        if (s.isEmpty()) {
            return INVALID;
        }
        return switch (mode) {
            case EPOCH_SECONDS -> epoch(s, 1000.0);
            case EPOCH_MILLIS -> epoch(s, 1.0);
            case PATTERN -> withPattern(s);
            case AUTO -> auto(s);
        };
    }

    /**
     * {@link #parse} of ASCII text {@code b[from, to)} when the text is 1 to 15 decimal digits and nothing else, taken
     * without making a string; {@link #INVALID} for any other text, which the caller then hands to {@link #parse} (so
     * {@code INVALID} here means "not taken", not "bad"). The value is exactly {@link #parse}'s: every such number is
     * below 2^53, so its {@code double} and the products {@link #parse} rounds are exact where this path is taken
     * ({@code auto}: not for 8 digits, which {@code auto} reads as a {@code yyyyMMdd} date; {@code epoch_s}: below
     * 9e12 seconds; never for a pattern).
     */
    public long parseDigits(byte[] b, int from, int to) {
        int n = to - from;
        if (n < 1 || n > 15 || mode == Mode.PATTERN || (mode == Mode.AUTO && n == 8)) {
            return INVALID;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return INVALID;
            }
            v = v * 10 + d;
        }
        return switch (mode) {
            // auto: seconds below 1e11, else milliseconds (Math.round(v * 1000.0) and Math.round(v), both exact here)
            case AUTO -> v < 100_000_000_000L ? v * 1000L : v;
            case EPOCH_SECONDS -> v < 9_000_000_000_000L ? v * 1000L : INVALID;
            case EPOCH_MILLIS -> v;
            case PATTERN -> INVALID;
        };
    }

    private long auto(String s) {
        char c = s.charAt(0);
        if (s.length() >= 10 && s.charAt(4) == '-' && s.charAt(7) == '-') {
            return isoLike(s);
        }
        if (s.length() == 8 && digits(s, 0, 8) >= 0) {
            // ISO-8601 basic date (yyyyMMdd); as epoch seconds it would be a day in 1970, which no log means
            return isoLike(s.substring(0, 4) + "-" + s.substring(4, 6) + "-" + s.substring(6, 8));
        }
        if (Character.isDigit(c) || c == '-' || c == '+' || c == '.') {
            double v = number(s);
            if (Double.isNaN(v)) {
                return INVALID;
            }
            return Math.abs(v) < 1e11 ? Math.round(v * 1000.0) : Math.round(v);
        }
        return INVALID;
    }

    /** Strict resolution, so that 30/02 is an error rather than 29/02; {@code yyyy} read as the proleptic year. */
    private static DateTimeFormatter formatter(String pattern) {
        String p = pattern.contains("G") ? pattern : pattern.replace('y', 'u');
        return DateTimeFormatter.ofPattern(p, Locale.ROOT).withResolverStyle(java.time.format.ResolverStyle.STRICT);
    }

    private static long epoch(String s, double toMillis) {
        double v = number(s);
        return Double.isNaN(v) ? INVALID : Math.round(v * toMillis);
    }

    private static double number(String s) {
        try {
            double v = Double.parseDouble(s);
            return Double.isFinite(v) ? v : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private long withPattern(String s) {
        if (formatter == null) {
            formatter = formatter(pattern);
        }
        try {
            TemporalAccessor t = formatter.parse(s);
            if (t.isSupported(ChronoField.OFFSET_SECONDS)) {
                return ZonedDateTime.from(t).toInstant().toEpochMilli();
            }
            LocalDateTime ldt = t.isSupported(ChronoField.HOUR_OF_DAY)
                    ? LocalDateTime.from(t)
                    : java.time.LocalDate.from(t).atStartOfDay();
            return ldt.atZone(zone).toInstant().toEpochMilli();
        } catch (DateTimeException e) {
            return INVALID;
        }
    }

    /**
     * A hand-written reader of {@code yyyy-MM-dd[( |T)HH:mm[:ss[.fff...]]][Z|(+|-)HH[:]mm]}: the common case, about ten
     * times faster than {@link DateTimeFormatter}, checked field by field.
     */
    private long isoLike(String s) {
        int n = s.length();
        int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1) {
            return INVALID;
        }
        int hour = 0, minute = 0, second = 0, nanos = 0;
        int i = 10;
        if (i < n && (s.charAt(i) == ' ' || s.charAt(i) == 'T')) {
            if (n < i + 6 || s.charAt(i + 3) != ':') {
                return INVALID;
            }
            hour = digits(s, i + 1, 2);
            minute = digits(s, i + 4, 2);
            i += 6;
            if (i < n && s.charAt(i) == ':') {
                second = digits(s, i + 1, 2);
                i += 3;
                if (i < n && (s.charAt(i) == '.' || s.charAt(i) == ',')) {
                    int start = ++i;
                    long frac = 0;
                    while (i < n && Character.isDigit(s.charAt(i))) {
                        if (i - start < 9) {
                            frac = frac * 10 + (s.charAt(i) - '0');
                        }
                        i++;
                    }
                    int len = Math.min(i - start, 9);
                    if (len == 0) {
                        return INVALID;
                    }
                    for (int k = len; k < 9; k++) {
                        frac *= 10;
                    }
                    nanos = (int) frac;
                }
            }
            if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
                return INVALID;
            }
        }
        ZoneId z = zone;
        if (i < n) {
            String rest = s.substring(i).trim();
            if (rest.isEmpty()) {
                z = zone;
            } else if (rest.equals("Z") || rest.equals("UTC")) {
                z = ZoneOffset.UTC;
            } else {
                try {
                    z = ZoneOffset.of(rest.length() == 5 && rest.indexOf(':') < 0
                            ? rest.substring(0, 3) + ":" + rest.substring(3) : rest);
                } catch (DateTimeException e) {
                    return INVALID;
                }
            }
        }
        try {
            LocalDateTime ldt = LocalDateTime.of(year, month, day, hour, minute, second, nanos);
            if (z instanceof ZoneOffset off) {
                return (ldt.toEpochSecond(off)) * 1000L + nanos / 1_000_000;
            }
            return ldt.atZone(z).toInstant().toEpochMilli();
        } catch (DateTimeException e) {
            return INVALID; // e.g. February 30th
        }
    }

    private static int digits(String s, int from, int count) {
        if (from + count > s.length()) {
            return -1;
        }
        int v = 0;
        for (int k = from; k < from + count; k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** For callers that want an exception with the text, e.g. when reading split bounds from config. */
    public long parseOrThrow(String text, String what) {
        long v = parse(text);
        if (v == INVALID) {
            throw new DateTimeParseException(what + ": cannot read '" + text + "' as a timestamp", text == null ? "" : text, 0);
        }
        return v;
    }
}
