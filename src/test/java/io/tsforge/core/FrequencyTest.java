package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FrequencyTest {

    private static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
    private static final long MIN = 60_000L;
    private static final long H = 3_600_000L;

    @ParameterizedTest
    @CsvSource({
            "30s, 30000",
            "5min, 300000",
            "15m, 900000",
            "1h, 3600000",
            "1d, 86400000",
            "250ms, 250",
            "10sec, 10000",
            "2 h, 7200000",
            "1H, 3600000"
    })
    void parsesCountAndUnit(String text, long millis) {
        Frequency f = Frequency.parse(text);
        assertEquals(millis, f.millis());
    }

    @Test
    void keepsTrimmedTextAsToString() {
        Frequency f = Frequency.parse("  5min ");
        assertEquals("5min", f.text());
        assertEquals("5min", f.toString());
        assertEquals(300_000L, f.millis());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0h", "5 weeks", "h", "", "0ms", "-1h", "1.5h", "1y", "h1"})
    void rejectsBadTextQuotingIt(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Frequency.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void constructorRejectsNonPositiveMillis() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Frequency(0, "x"));
        assertTrue(e.getMessage().contains("> 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Frequency(-5, "x"));
    }

    @Test
    void floorWithoutOffset() {
        Frequency h = Frequency.parse("1h");
        assertEquals(T0, h.floor(T0, 0));
        assertEquals(T0, h.floor(T0 + 1, 0));
        assertEquals(T0, h.floor(T0 + 59 * MIN + 59_999, 0));
        assertEquals(T0 + H, h.floor(T0 + H, 0));
        assertEquals(T0 - H, h.floor(T0 - 1, 0));
        Frequency m5 = Frequency.parse("5min");
        assertEquals(T0 + 10 * MIN, m5.floor(T0 + 14 * MIN + 59_000, 0));
    }

    @Test
    void floorWithAlignmentOffset() {
        Frequency h = Frequency.parse("1h");
        long off = 15 * MIN;
        // steps start at hh:15
        assertEquals(T0 - 45 * MIN, h.floor(T0, off));
        assertEquals(T0 - 45 * MIN, h.floor(T0 + 14 * MIN, off));
        assertEquals(T0 + 15 * MIN, h.floor(T0 + 15 * MIN, off));
        assertEquals(T0 + 15 * MIN, h.floor(T0 + 74 * MIN, off));
        assertEquals(T0 + 75 * MIN, h.floor(T0 + 75 * MIN, off));
        // an offset of a whole step is the same alignment as none
        assertEquals(h.floor(T0 + 7 * MIN, 0), h.floor(T0 + 7 * MIN, H));
    }

    @Test
    void floorOfNegativeTimestampsRoundsDown() {
        Frequency s = Frequency.parse("1s");
        assertEquals(0L, s.floor(0, 0));
        assertEquals(-1000L, s.floor(-1, 0));
        assertEquals(-1000L, s.floor(-1000, 0));
        assertEquals(-2000L, s.floor(-1001, 0));
        assertEquals(-750L, s.floor(-1, 250));
        assertEquals(-1750L, s.floor(-751, 250));
        assertEquals(-750L, s.floor(-750, 250));
        assertEquals(250L, s.floor(250, 250));
        assertEquals(-750L, s.floor(249, 250));
    }
}
