package io.tsforge.core;

import java.io.Serializable;
import java.util.List;

/**
 * Checks one raw input row (series id, timestamp text, value texts) and either accepts it or names why not.
 * The reasons are stable codes written to the quarantine's {@code reason} column, with a {@code detail} that quotes the
 * offending field and value.
 */
public final class RawRowParser implements Serializable {

    /** What to do with NaN or infinite values. */
    public enum NonFinite { QUARANTINE, FILL }

    public static final String MALFORMED_LINE = "malformed_line";
    public static final String MISSING_SERIES_ID = "missing_series_id";
    public static final String MISSING_TIMESTAMP = "missing_timestamp";
    public static final String BAD_TIMESTAMP = "bad_timestamp";
    public static final String MISSING_VALUE = "missing_value";
    public static final String BAD_NUMBER = "bad_number";
    public static final String NON_FINITE = "non_finite";

    private final TimestampParser timestamps;
    private final List<String> valueColumns;
    private final String timeColumn;
    private final NonFinite nonFinite;

    public RawRowParser(TimestampParser timestamps, String timeColumn, List<String> valueColumns, NonFinite nonFinite) {
        this.timestamps = timestamps;
        this.timeColumn = timeColumn;
        this.valueColumns = List.copyOf(valueColumns);
        this.nonFinite = nonFinite;
    }

    /** The outcome for one row: either {@code reason == null} and the parsed fields, or a reason and a detail. */
    public static final class Result {
        public String reason;
        public String detail;
        public long timestamp;
        public final double[] values;

        Result(int features) {
            values = new double[features];
        }

        public boolean ok() {
            return reason == null;
        }

        Result reject(String reason, String detail) {
            this.reason = reason;
            this.detail = detail;
            return this;
        }
    }

    public Result newResult() {
        return new Result(valueColumns.size());
    }

    /**
     * Parses into {@code out} (reused between rows to avoid garbage on large inputs). {@code seriesId} is null for wide
     * input, where the series name is fixed; pass {@code requireId} true for long input.
     */
    public Result parse(boolean requireId, String seriesId, String time, String[] values, boolean malformed, Result out) {
        out.reason = null;
        out.detail = null;
        if (malformed) {
            return out.reject(MALFORMED_LINE, "the line does not have the header's number of fields");
        }
        if (requireId && (seriesId == null || seriesId.isBlank())) {
            return out.reject(MISSING_SERIES_ID, "the series id is empty");
        }
        if (time == null || time.isBlank()) {
            return out.reject(MISSING_TIMESTAMP, "column '" + timeColumn + "' is empty");
        }
        long ts = timestamps.parse(time);
        if (ts == TimestampParser.INVALID) {
            return out.reject(BAD_TIMESTAMP, "column '" + timeColumn + "': cannot read '" + time + "' as a timestamp");
        }
        out.timestamp = ts;
        for (int i = 0; i < out.values.length; i++) {
            String v = values[i];
            String col = valueColumns.get(i);
            if (v == null || v.isBlank()) {
                return out.reject(MISSING_VALUE, "column '" + col + "' is empty");
            }
            double d = number(v.trim());
            if (Double.isNaN(d) && !isNaNText(v.trim())) {
                return out.reject(BAD_NUMBER, "column '" + col + "': cannot read '" + v + "' as a number");
            }
            if (!Double.isFinite(d) && nonFinite == NonFinite.QUARANTINE) {
                return out.reject(NON_FINITE, "column '" + col + "' is '" + v.trim() + "'");
            }
            out.values[i] = Double.isFinite(d) ? d : Double.NaN;
        }
        return out;
    }

    /**
     * {@link #parse} of a row whose fields are ASCII text in {@code line}: field {@code k} is {@code line[start[k],
     * end[k])}, or null when {@code start[k] < 0}; the id is field 0 when {@code requireId} (long input), the timestamp
     * the next, then the values. Returns true when the row is valid, with {@code out} holding exactly what
     * {@link #parse} gives for the same texts; false when this path does not decide the row (any rejection included),
     * and the caller then calls {@link #parse} on the fields' strings. Plain decimals and digit timestamps are read
     * from the bytes (see {@link #plainDecimal} and {@link TimestampParser#parseDigits}); other texts through the same
     * functions {@link #parse} uses.
     */
    public boolean parseAscii(boolean requireId, byte[] line, int[] start, int[] end, boolean malformed, Result out) {
        out.reason = null;
        out.detail = null;
        if (malformed) {
            return false;
        }
        int k = 0;
        if (requireId) {
            if (start[0] < 0 || !hasVisible(line, start[0], end[0])) {
                return false;  // null or possibly blank: parse decides
            }
            k = 1;
        }
        if (start[k] < 0) {
            return false;
        }
        long ts = timestamps.parseDigits(line, start[k], end[k]);
        if (ts == TimestampParser.INVALID) {
            String t = ascii(line, start[k], end[k]);
            if (t.isBlank()) {
                return false;
            }
            ts = timestamps.parse(t);
            if (ts == TimestampParser.INVALID) {
                return false;
            }
        }
        for (int i = 0; i < out.values.length; i++) {
            int f = k + 1 + i;
            if (start[f] < 0) {
                return false;
            }
            double d = plainDecimal(line, start[f], end[f]);
            if (Double.isNaN(d)) {
                String v = ascii(line, start[f], end[f]);
                if (v.isBlank()) {
                    return false;
                }
                d = number(v.trim());
                if (!Double.isFinite(d)) {
                    return false;  // NaN, infinite or unreadable: parse decides
                }
            }
            out.values[i] = d;
        }
        out.timestamp = ts;
        return true;
    }

    /** Whether ASCII text holds a character above the space: it is then not blank. */
    private static boolean hasVisible(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] > ' ') {
                return true;
            }
        }
        return false;
    }

    private static String ascii(byte[] b, int from, int to) {
        return new String(b, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static final double[] POWERS_OF_TEN = new double[23];

    static {
        double p = 1;
        for (int i = 0; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = p;
            p *= 10;
        }
    }

    /**
     * {@link Double#parseDouble} of ASCII text {@code b[from, to)} when it is a plain decimal: an optional sign, at
     * least one digit, at most one point, nothing else, with fewer than 19 digits, a significand {@code m} (the
     * digits as an integer) below 2^53 and at most 22 digits after the point; NaN for any other text (which the
     * caller reads with {@link Double#parseDouble}). The value is {@code m / 10^k}: both operands are exact doubles,
     * and IEEE division rounds their quotient correctly, as {@link Double#parseDouble} rounds the decimal (the same
     * fast path the JDK's own parser takes).
     */
    public static double plainDecimal(byte[] b, int from, int to) {
        int i = from;
        if (i >= to) {
            return Double.NaN;
        }
        boolean negative = b[i] == '-';
        if (negative || b[i] == '+') {
            i++;
        }
        long m = 0;
        int digits = 0;
        int fraction = 0;
        boolean point = false;
        for (; i < to; i++) {
            int c = b[i];
            if (c >= '0' && c <= '9') {
                if (digits == 18) {
                    return Double.NaN;
                }
                m = m * 10 + (c - '0');
                digits++;
                if (point) {
                    fraction++;
                }
            } else if (c == '.' && !point) {
                point = true;
            } else {
                return Double.NaN;
            }
        }
        if (digits == 0 || m >= (1L << 53) || fraction >= POWERS_OF_TEN.length) {
            return Double.NaN;
        }
        double v = fraction == 0 ? (double) m : (double) m / POWERS_OF_TEN[fraction];
        return negative ? -v : v;
    }

    /** A number, with the non-finite spellings of Java, pandas and R ({@code NaN, nan, inf, -Infinity, ...}). */
    static double number(String t) {
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            String l = t.toLowerCase(java.util.Locale.ROOT);
            return switch (l) {
                case "inf", "+inf", "infinity", "+infinity" -> Double.POSITIVE_INFINITY;
                case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
                default -> Double.NaN; // "nan" and anything unreadable; isNaNText tells them apart
            };
        }
    }

    private static boolean isNaNText(String t) {
        return t.equalsIgnoreCase("nan");
    }
}
