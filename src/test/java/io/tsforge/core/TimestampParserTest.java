package io.tsforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TimestampParserTest {

    private static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
    private static final long JULY = 1_719_792_000_000L; // 2024-07-01T00:00:00Z
    private static final long H = 3_600_000L;
    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private final TimestampParser utc = TimestampParser.of("auto", UTC);
    private final TimestampParser paris = TimestampParser.of("auto", PARIS);

    @ParameterizedTest
    @ValueSource(strings = {
            "2024-01-01 00:00:00",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00 UTC",
            "2024-01-01T01:00:00+01:00",
            "2024-01-01T01:00:00+0100",
            "2023-12-31T19:00:00-05:00",
            "2024-01-01 00:00",
            "2024-01-01",
            "  2024-01-01 00:00:00  ",
            "2024-01-01 00:00:00.000000",
            "1704067200",
            "1704067200000",
            "1704067200.0"
    })
    void autoReadsCommonFormsOfTheSameInstantInUtc(String text) {
        assertEquals(T0, utc.parse(text));
    }

    @Test
    void autoWithZoneIdUtcRegionGivesTheSameAsOffsetUtc() {
        TimestampParser p = TimestampParser.of("AUTO", ZoneId.of("UTC"));
        assertEquals(T0, p.parse("2024-01-01 00:00:00"));
        assertEquals(T0, p.parse("2024-01-01"));
    }

    @Test
    void fractionalSeconds() {
        assertEquals(1_396_310_400_000L, utc.parse("2014-04-01 00:00:00.000000"));
        assertEquals(T0 + 250, utc.parse("2024-01-01 00:00:00.25"));
        assertEquals(T0 + 250, utc.parse("2024-01-01T00:00:00.250Z"));
        assertEquals(T0 + 123, utc.parse("2024-01-01 00:00:00,123456789"));
        assertEquals(T0 + 999, utc.parse("2024-01-01 00:00:00.9999999999")); // digits past nanos ignored
        assertEquals(T0 - H + 500, utc.parse("2024-01-01T00:00:00.5+01:00"));
        assertEquals(T0 - H + 500, paris.parse("2024-01-01 00:00:00.5"));
    }

    @Test
    void epochNumbersSecondsBelow1e11ElseMillis() {
        assertEquals(T0, utc.parse("1704067200"));
        assertEquals(T0, utc.parse("1704067200000"));
        assertEquals(T0 + 500, utc.parse("1704067200.5"));
        assertEquals(0L, utc.parse("0"));
        assertEquals(-1000L, utc.parse("-1"));
        assertEquals(99_999_999_999_000L, utc.parse("99999999999"));
        assertEquals(100_000_000_000L, utc.parse("100000000000"));
        // epoch numbers carry no zone
        assertEquals(T0, paris.parse("1704067200"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "2024-13-45 25:61:00",
            "2024-02-30 00:00:00",
            "2023-02-29",
            "2024-00-10",
            "2024-01-00",
            "2024-01-01 24:00:00",
            "2024-01-01 23:60:00",
            "2024-01-01 23:59:60",
            "2024-01-01 1:00:00",
            "2024-01-01T00:00:00+25:00",
            "2024-01-01T00:00:00 nonsense",
            "2024-01-01 00:00:00.",
            "2024-01-0a",
            "garbage",
            "NaN",
            "Infinity",
            "-Infinity",
            "12:00",
            "",
            "   "
    })
    void invalidTextGivesInvalid(String text) {
        assertEquals(TimestampParser.INVALID, utc.parse(text));
        assertEquals(TimestampParser.INVALID, paris.parse(text));
    }

    @Test
    void nullGivesInvalid() {
        assertEquals(TimestampParser.INVALID, utc.parse(null));
        assertEquals(Long.MIN_VALUE, TimestampParser.INVALID);
    }

    @Test
    void leapDayIsValid() {
        assertEquals(1_709_164_800_000L, utc.parse("2024-02-29"));
    }

    @Test
    void naiveTextIsReadInTheConfiguredZone() {
        // Paris is UTC+1 in January, UTC+2 in July
        assertEquals(T0 - H, paris.parse("2024-01-01 00:00:00"));
        assertEquals(T0 - H, paris.parse("2024-01-01"));
        assertEquals(T0 - H, paris.parse("2024-01-01T00:00"));
        assertEquals(H, utc.parse("2024-01-01 00:00:00") - paris.parse("2024-01-01 00:00:00"));
        assertEquals(JULY - 2 * H, paris.parse("2024-07-01 00:00:00"));
        // an explicit offset wins over the zone
        assertEquals(T0, paris.parse("2024-01-01T00:00:00Z"));
        assertEquals(T0, paris.parse("2024-01-01T01:00:00+01:00"));
    }

    @Test
    void patternFormat() {
        TimestampParser p = TimestampParser.of("pattern:dd/MM/yyyy HH:mm", UTC);
        assertEquals(T0, p.parse("01/01/2024 00:00"));
        assertEquals(T0 + 13 * H + 30 * 60_000L, p.parse("01/01/2024 13:30"));
        assertEquals(T0 - H, TimestampParser.of("pattern:dd/MM/yyyy HH:mm", PARIS).parse("01/01/2024 00:00"));
        assertEquals(TimestampParser.INVALID, p.parse("2024-01-01 00:00"));
        assertEquals(TimestampParser.INVALID, p.parse("garbage"));
        assertEquals(TimestampParser.INVALID, p.parse("32/01/2024 00:00"));
        assertEquals(TimestampParser.INVALID, p.parse(""));
    }

    @Test
    void patternDateOnlyIsStartOfDayAndOffsetPatternUsesTheOffset() {
        assertEquals(T0, TimestampParser.of("pattern:dd/MM/yyyy", UTC).parse("01/01/2024"));
        assertEquals(T0 - H, TimestampParser.of("pattern:dd/MM/yyyy", PARIS).parse("01/01/2024"));
        TimestampParser withOffset = TimestampParser.of("pattern:yyyy-MM-dd HH:mm XXX", PARIS);
        assertEquals(T0, withOffset.parse("2024-01-01 02:00 +02:00"));
    }

    @Test
    void epochModesDoNotGuess() {
        TimestampParser s = TimestampParser.of("epoch_s", UTC);
        TimestampParser ms = TimestampParser.of("epoch_ms", UTC);
        assertEquals(T0, s.parse("1704067200"));
        assertEquals(T0 + 500, s.parse("1704067200.5"));
        assertEquals(1_704_067_200L, ms.parse("1704067200"));
        assertEquals(T0, ms.parse("1704067200000"));
        assertEquals(TimestampParser.INVALID, s.parse("2024-01-01"));
        assertEquals(TimestampParser.INVALID, ms.parse("NaN"));
    }

    @Test
    void ofRejectsUnknownFormatQuotingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimestampParser.of("bogus", UTC));
        assertTrue(e.getMessage().contains("'bogus'"), e.getMessage());
    }

    @Test
    void ofRejectsABadPatternEarly() {
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.of("pattern:yyyy-MM-dd'", UTC));
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.of("pattern:{{bad}}", UTC));
    }

    @Test
    void parseOrThrowNamesWhatAndQuotesText() {
        assertEquals(T0, utc.parseOrThrow("2024-01-01", "split.trainEnd"));
        DateTimeParseException e = assertThrows(DateTimeParseException.class,
                () -> utc.parseOrThrow("2024-02-30", "split.trainEnd"));
        assertTrue(e.getMessage().contains("split.trainEnd"), e.getMessage());
        assertTrue(e.getMessage().contains("'2024-02-30'"), e.getMessage());
        assertThrows(DateTimeParseException.class, () -> utc.parseOrThrow(null, "x"));
    }
}
