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
