package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class RawRowParserTest {

    private static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
    private static final String TIME = "2024-01-01 00:00:00";

    private static RawRowParser parser(RawRowParser.NonFinite nonFinite) {
        return new RawRowParser(TimestampParser.of("auto", ZoneOffset.UTC), "date", List.of("load", "temp"), nonFinite);
    }

    private final RawRowParser quarantine = parser(RawRowParser.NonFinite.QUARANTINE);
    private final RawRowParser fill = parser(RawRowParser.NonFinite.FILL);

    private static String[] v(String... values) {
        return values;
    }

    private static void assertRejected(RawRowParser.Result r, String reason, String... detailParts) {
        assertFalse(r.ok());
        assertEquals(reason, r.reason);
        assertNotNull(r.detail);
        for (String part : detailParts) {
            assertTrue(r.detail.contains(part), () -> "detail '" + r.detail + "' should contain " + part);
        }
    }

    @Test
    void goodRowParsesTimestampAndValues() {
        RawRowParser.Result out = quarantine.newResult();
        RawRowParser.Result r = quarantine.parse(true, "s1", TIME, v(" 1.5 ", "-2e3"), false, out);
        assertSame(out, r);
        assertTrue(r.ok());
        assertNull(r.reason);
        assertNull(r.detail);
        assertEquals(T0, r.timestamp);
        assertEquals(2, r.values.length);
        assertEquals(1.5, r.values[0]);
        assertEquals(-2000.0, r.values[1]);
    }

    @Test
    void malformedLine() {
        RawRowParser.Result r = quarantine.parse(true, "s1", TIME, v("1", "2"), true, quarantine.newResult());
        assertRejected(r, RawRowParser.MALFORMED_LINE, "number of fields");
        assertEquals("malformed_line", r.reason);
    }

    @Test
    void malformedWinsOverEveryOtherProblem() {
        RawRowParser.Result r = quarantine.parse(true, null, null, v(null, null), true, quarantine.newResult());
        assertEquals(RawRowParser.MALFORMED_LINE, r.reason);
    }

    @Test
    void missingSeriesId() {
        for (String id : new String[] {null, "", "   "}) {
            RawRowParser.Result r = quarantine.parse(true, id, TIME, v("1", "2"), false, quarantine.newResult());
            assertRejected(r, RawRowParser.MISSING_SERIES_ID, "series id");
            assertEquals("missing_series_id", r.reason);
        }
    }

    @Test
    void wideInputAcceptsNullId() {
        RawRowParser.Result r = quarantine.parse(false, null, TIME, v("1", "2"), false, quarantine.newResult());
        assertTrue(r.ok());
        assertEquals(T0, r.timestamp);
        assertEquals(1.0, r.values[0]);
        assertEquals(2.0, r.values[1]);
    }

    @Test
    void missingTimestamp() {
        for (String t : new String[] {null, "", "  "}) {
            RawRowParser.Result r = quarantine.parse(true, "s1", t, v("1", "2"), false, quarantine.newResult());
            assertRejected(r, RawRowParser.MISSING_TIMESTAMP, "'date'");
            assertEquals("missing_timestamp", r.reason);
        }
    }

    @Test
    void badTimestamp() {
        RawRowParser.Result r = quarantine.parse(true, "s1", "2024-02-30 00:00:00", v("1", "2"), false,
                quarantine.newResult());
        assertRejected(r, RawRowParser.BAD_TIMESTAMP, "'date'", "'2024-02-30 00:00:00'");
        assertEquals("bad_timestamp", r.reason);
        r = quarantine.parse(true, "s1", "garbage", v("1", "2"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.BAD_TIMESTAMP, "'date'", "'garbage'");
    }

    @Test
    void missingValueNamesTheColumn() {
        RawRowParser.Result r = quarantine.parse(true, "s1", TIME, v("1", ""), false, quarantine.newResult());
        assertRejected(r, RawRowParser.MISSING_VALUE, "'temp'");
        assertEquals("missing_value", r.reason);
        r = quarantine.parse(true, "s1", TIME, v(null, "2"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.MISSING_VALUE, "'load'");
        r = quarantine.parse(true, "s1", TIME, v(" ", "2"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.MISSING_VALUE, "'load'");
    }

    @Test
    void badNumberNamesTheColumnAndQuotesTheValue() {
        RawRowParser.Result r = quarantine.parse(true, "s1", TIME, v("1", "12,5"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.BAD_NUMBER, "'temp'", "'12,5'");
        assertEquals("bad_number", r.reason);
        r = quarantine.parse(true, "s1", TIME, v("abc", "1"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.BAD_NUMBER, "'load'", "'abc'");
    }

    @Test
    void nonFiniteIsQuarantinedNamingColumnAndValue() {
        RawRowParser.Result r = quarantine.parse(true, "s1", TIME, v("1", "NaN"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.NON_FINITE, "'temp'", "NaN");
        assertEquals("non_finite", r.reason);
        r = quarantine.parse(true, "s1", TIME, v("Infinity", "1"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.NON_FINITE, "'load'", "Infinity");
        r = quarantine.parse(true, "s1", TIME, v("1", "-Infinity"), false, quarantine.newResult());
        assertRejected(r, RawRowParser.NON_FINITE, "'temp'", "-Infinity");
    }

    @Test
    void fillKeepsNonFiniteAsNaN() {
        RawRowParser.Result r = fill.parse(true, "s1", TIME, v("NaN", "Infinity"), false, fill.newResult());
        assertTrue(r.ok());
        assertTrue(Double.isNaN(r.values[0]));
        assertTrue(Double.isNaN(r.values[1]), "Infinity must become NaN, found " + r.values[1]);
        r = fill.parse(true, "s1", TIME, v("-Infinity", "3"), false, fill.newResult());
        assertTrue(r.ok());
        assertTrue(Double.isNaN(r.values[0]));
        assertEquals(3.0, r.values[1]);
    }

    @Test
    void fillStillRejectsBadNumbers() {
        RawRowParser.Result r = fill.parse(true, "s1", TIME, v("1", "x"), false, fill.newResult());
        assertRejected(r, RawRowParser.BAD_NUMBER, "'temp'", "'x'");
    }

    @Test
    void reusedResultIsClearedBetweenRows() {
        RawRowParser.Result out = quarantine.newResult();
        quarantine.parse(true, "s1", "garbage", v("1", "2"), false, out);
        assertEquals(RawRowParser.BAD_TIMESTAMP, out.reason);
        quarantine.parse(true, "s1", "2024-01-01 01:00:00", v("3", "4"), false, out);
        assertTrue(out.ok());
        assertNull(out.detail);
        assertEquals(T0 + 3_600_000L, out.timestamp);
        assertEquals(3.0, out.values[0]);
        assertEquals(4.0, out.values[1]);
    }

    @Test
    void checksHappenInOrderIdThenTimeThenValues() {
        RawRowParser.Result r = quarantine.parse(true, "", "garbage", v("x", ""), false, quarantine.newResult());
        assertEquals(RawRowParser.MISSING_SERIES_ID, r.reason);
        r = quarantine.parse(true, "s1", "garbage", v("x", ""), false, quarantine.newResult());
        assertEquals(RawRowParser.BAD_TIMESTAMP, r.reason);
        r = quarantine.parse(true, "s1", TIME, v("x", ""), false, quarantine.newResult());
        assertEquals(RawRowParser.BAD_NUMBER, r.reason);
    }
}
