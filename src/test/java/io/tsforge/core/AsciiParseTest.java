package io.tsforge.core;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The byte paths of the CSV parse against the string paths they stand in for: {@link RawRowParser#plainDecimal} against
 * {@link Double#parseDouble} bit for bit, {@link TimestampParser#parseDigits} against {@link TimestampParser#parse},
 * {@link CsvLineSplitter#splitAscii} against {@link CsvLineSplitter#split}, and {@link RawRowParser#parseAscii} against
 * {@link RawRowParser#parse}, on random texts: whenever a byte path decides, it decides as the string path does.
 */
class AsciiParseTest {

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static double plain(String s) {
        byte[] b = ascii(s);
        return RawRowParser.plainDecimal(b, 0, b.length);
    }

    static String random(SplittableRandom rnd, String alphabet, int maxLength) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(maxLength + 1);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    static void sameAsParseDouble(String s) {
        double fast = plain(s);
        double slow;
        try {
            slow = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            assertTrue(Double.isNaN(fast), () -> "'" + s + "' is no number, the fast path gave " + fast);
            return;
        }
        if (!Double.isNaN(fast)) {
            assertEquals(Double.doubleToRawLongBits(slow), Double.doubleToRawLongBits(fast), () -> "'" + s + "'");
        }
    }

    @Test
    void plainDecimalsAreParseDoubleBitForBit() {
        for (String s : List.of("0", "-0", "+0", "-0.0", "0.1", "1.", ".5", "-.5", "+.5", "88.105", "19.2", "-273.15",
                "00012.3400", "9007199254740991", "9007199254740992", "0.30000000000000004", "123456789012345678",
                "1234567890123456789", "0.0000000000000000000001", "0.00000000000000000000001", "1e5", "1.5d", "1f",
                "0x10", "NaN", "Infinity", "", "-", "+", ".", "1.2.3", "--1", "1-", " 1", "1 ", "１")) {
            sameAsParseDouble(s);
        }
        assertEquals(-0.0, plain("-0"));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(plain("-0.000")));
        assertTrue(Double.isNaN(plain("9007199254740992")), "2^53 is left to parseDouble");
        assertTrue(Double.isNaN(plain("1e5")));
        SplittableRandom rnd = new SplittableRandom(3);
        int taken = 0;
        for (int n = 0; n < 200_000; n++) {
            String s = switch (n % 4) {
                case 0 -> random(rnd, "0123456789", 19) + "." + random(rnd, "0123456789", 24);
                case 1 -> (rnd.nextBoolean() ? "-" : "") + random(rnd, "0123456789", 8) + "."
                        + random(rnd, "0123456789", 3);
                case 2 -> random(rnd, "0123456789.-+e ", 8);
                default -> Double.toString(rnd.nextDouble() * Math.pow(10, rnd.nextInt(-30, 30)));
            };
            sameAsParseDouble(s);
            taken += Double.isNaN(plain(s)) ? 0 : 1;
        }
        assertTrue(taken > 60_000, "the plain path was taken " + taken + " times");
    }

    @Test
    void digitTimestampsAreParsedAsTheTextIs() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (String format : List.of("auto", "epoch_s", "epoch_ms", "pattern:yyyyMMddHHmm")) {
            TimestampParser p = TimestampParser.of(format, ZoneOffset.UTC);
            int taken = 0;
            for (int n = 0; n < 50_000; n++) {
                String s = n % 3 == 0 ? random(rnd, "0123456789", 17) : random(rnd, "0123456789 -:T.", 12);
                if (n % 5 == 0) {
                    s = Long.toString(rnd.nextLong(1, 10_000_000_000_000L));
                }
                byte[] b = ascii(s);
                long fast = p.parseDigits(b, 0, b.length);
                if (fast != TimestampParser.INVALID) {
                    taken++;
                    String text = s;
                    assertEquals(p.parse(s), fast, () -> format + " '" + text + "'");
                }
            }
            assertTrue(format.startsWith("pattern") ? taken == 0 : taken > 10_000, format + ": " + taken);
        }
        TimestampParser auto = TimestampParser.of("auto", ZoneOffset.UTC);
        assertEquals(1_704_067_200_000L, auto.parseDigits(ascii("1704067200"), 0, 10));
        assertEquals(TimestampParser.INVALID, auto.parseDigits(ascii("20240101"), 0, 8), "yyyyMMdd is a date");
    }

    @Test
    void asciiSplitIsTheStringSplit() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (boolean pruned : new boolean[]{false, true}) {
            int[] selected = {3, 0, 1};
            CsvLineSplitter s = new CsvLineSplitter(",", '"', '\\', '\0', 4, 6, pruned, selected);
            int taken = 0;
            String[] fields = new String[3];
            int[] start = new int[3];
            int[] end = new int[3];
            for (int n = 0; n < 50_000; n++) {
                String line = random(rnd, "ab1 ,,,,\"\\é\t", 16);
                byte[] b = line.getBytes(StandardCharsets.UTF_8);
                int r = s.splitAscii(b, b.length, start, end);
                if (r < 0) {
                    continue;
                }
                taken++;
                boolean malformed = s.split(line, fields, t -> {
                    throw new AssertionError("a line the byte path split went to the tokenizer: [" + line + "]");
                });
                String[] mine = new String[3];
                for (int k = 0; k < 3; k++) {
                    mine[k] = start[k] < 0 ? null : new String(b, start[k], end[k] - start[k],
                            StandardCharsets.ISO_8859_1);
                }
                assertEquals(malformed, r == 1, () -> "malformed flag of [" + line + "]");
                assertArrayEquals(fields, mine, () -> "fields of [" + line + "]");
            }
            assertTrue(taken > 10_000, "the byte path was taken " + taken + " times");
            byte[] b = ascii("a,b,c,d,e,f,g");
            assertEquals(-1, s.splitAscii(b, b.length, start, end), "as many fields as the limit: the tokenizer's");
            b = "é,1,2,3".getBytes(StandardCharsets.UTF_8);
            assertEquals(-1, s.splitAscii(b, b.length, start, end), "not ASCII");
        }
        CsvLineSplitter multi = new CsvLineSplitter("||", '"', '\\', '\0', 2, 10, false, 0, 1);
        byte[] b = ascii("a||b");
        assertEquals(-1, multi.splitAscii(b, b.length, new int[2], new int[2]), "a delimiter of two characters");
        assertTrue(CsvLineSplitter.isBlank(ascii(" \t\r"), 3));
        assertTrue(!CsvLineSplitter.isBlank("\u00a0".getBytes(StandardCharsets.UTF_8), 2), "NBSP is not blank");
    }

    /** The fields of a line split on commas, for {@link RawRowParser#parseAscii}. */
    static void fields(String line, int[] start, int[] end) {
        Arrays.fill(start, -1);
        int from = 0;
        for (int k = 0; k < start.length; k++) {
            int to = line.indexOf(',', from);
            if (to < 0) {
                to = line.length();
            }
            if (to > from) {
                start[k] = from;
                end[k] = to;
            }
            if (to == line.length()) {
                break;
            }
            from = to + 1;
        }
    }

    @Test
    void asciiRowsParseAsTheirStrings() {
        SplittableRandom rnd = new SplittableRandom(13);
        String[] ids = {"s1", "", " ", "\t", " s2 ", "\u0001"};
        String[] times = {"1704067200", "1704067200000", "20240101", "2024-01-01 00:05:00", "2024-01-01T00:10:00Z", "",
                " ", " 1704067200", "x", "-1", "1.5", "99999999999999999"};
        String[] numbers = {"1", "-2.5", "88.105", ".5", "5.", "", " ", " 3 ", "1e3", "NaN", "nan", "inf", "-Infinity",
                "x", "0x1p3", "1.5d", "-0", "12345678901234567890"};
        for (boolean wide : new boolean[]{false, true}) {
            for (RawRowParser.NonFinite nf : RawRowParser.NonFinite.values()) {
                for (String format : List.of("auto", "epoch_s", "epoch_ms")) {
                    RawRowParser p = new RawRowParser(TimestampParser.of(format, ZoneOffset.UTC), "t",
                            List.of("a", "b"), nf);
                    RawRowParser.Result fast = p.newResult();
                    RawRowParser.Result slow = p.newResult();
                    int slots = wide ? 3 : 4;
                    int[] start = new int[slots];
                    int[] end = new int[slots];
                    int taken = 0;
                    for (int n = 0; n < 20_000; n++) {
                        String id = ids[rnd.nextInt(ids.length)];
                        String t = times[rnd.nextInt(times.length)];
                        String a = numbers[rnd.nextInt(numbers.length)];
                        String b = numbers[rnd.nextInt(numbers.length)];
                        boolean malformed = rnd.nextInt(20) == 0;
                        String line = (wide ? "" : id + ",") + t + "," + a + "," + b;
                        fields(line, start, end);
                        String[] f = new String[slots];
                        for (int k = 0; k < slots; k++) {
                            f[k] = start[k] < 0 ? null : line.substring(start[k], end[k]);
                        }
                        int first = wide ? 0 : 1;
                        p.parse(!wide, wide ? null : f[0], f[first], new String[]{f[first + 1], f[first + 2]},
                                malformed, slow);
                        if (p.parseAscii(!wide, ascii(line), start, end, malformed, fast)) {
                            taken++;
                            assertTrue(slow.ok(), () -> "[" + line + "] is rejected: " + slow.reason);
                            assertEquals(slow.timestamp, fast.timestamp, line);
                            for (int i = 0; i < 2; i++) {
                                assertEquals(Double.doubleToRawLongBits(slow.values[i]),
                                        Double.doubleToRawLongBits(fast.values[i]), line);
                            }
                        }
                    }
                    assertTrue(taken > 1_000, "the byte path was taken " + taken + " times");
                }
            }
        }
    }
}
