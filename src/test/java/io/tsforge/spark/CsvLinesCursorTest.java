package io.tsforge.spark;

import io.tsforge.core.RawRowParser;
import io.tsforge.core.TimestampParser;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CsvLines.Cursor}'s byte path (a row parsed from its line's bytes, the id taken from them) against the string
 * path of the same rows (the cursor's strings, {@link RawRowParser#parse}, {@code UTF8String.fromString} of the id):
 * the same rows, outcome, timestamp, values bit for bit and id bytes, on random lines with quotes, non-ASCII text,
 * blank lines, short and long lines.
 */
class CsvLinesCursorTest {

    static final String[] IDS = {"s1", "s1", "s1", "s2", "", " ", "é", "\"q\"", "a\\b", "s3"};
    static final String[] TIMES = {"1704067200", "1704067500", "2024-01-01 00:05:00", "", "x", " 1704067800"};
    static final String[] NUMBERS = {"1", "-2.5", "88.105", "", " 3 ", "1e3", "NaN", "x", "\"4\"", "5"};

    static List<InternalRow> lines(SplittableRandom rnd, boolean wide, int n) {
        List<InternalRow> rows = new ArrayList<>();
        UTF8String file = UTF8String.fromString("file:/tmp/in.csv");
        rows.add(new GenericInternalRow(new Object[]{UTF8String.fromString(wide ? "t,a,x,b" : "id,t,a,x,b"), file,
                0L}));
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            if (!wide) {
                sb.append(IDS[rnd.nextInt(IDS.length)]).append(',');
            }
            sb.append(TIMES[rnd.nextInt(TIMES.length)]).append(',').append(NUMBERS[rnd.nextInt(NUMBERS.length)])
                    .append(",other,").append(NUMBERS[rnd.nextInt(NUMBERS.length)]);
            switch (rnd.nextInt(12)) {
                case 0 -> sb.append(",extra");
                case 1 -> sb.setLength(sb.lastIndexOf(","));
                case 2 -> sb.setLength(0);
                case 3 -> sb.append("  ");
                default -> { }
            }
            rows.add(new GenericInternalRow(new Object[]{UTF8String.fromString(sb.toString()), file, 0L}));
        }
        return rows;
    }

    @Test
    void bytePathRowsAreTheStringPathRows() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (boolean wide : new boolean[]{false, true}) {
            for (boolean pruned : new boolean[]{false, true}) {
                int[] selected = wide ? new int[]{0, 1, 3} : new int[]{0, 1, 2, 4};
                CsvLines csv = CsvLines.of(",", wide ? 4 : 5, selected, wide, "wide-series", 2, pruned);
                RawRowParser parser = new RawRowParser(TimestampParser.of("auto", ZoneOffset.UTC), "t",
                        List.of("a", "b"), RawRowParser.NonFinite.QUARANTINE);
                List<InternalRow> rows = lines(rnd, wide, 20_000);
                CsvLines.Cursor fast = csv.cursor(rows.iterator());
                CsvLines.Cursor slow = csv.cursor(rows.iterator());
                RawRowParser.Result rf = parser.newResult();
                RawRowParser.Result rs = parser.newResult();
                int valid = 0;
                while (fast.advance()) {
                    assertTrue(slow.advance());
                    slow.strings();
                    String line = slow.id + "," + slow.ts + "," + String.join(",", slow.values);
                    boolean okFast = fast.parse(parser, !wide, rf);
                    parser.parse(!wide, slow.id, slow.ts, slow.values, slow.malformed, rs);
                    assertEquals(rs.ok(), okFast, line);
                    assertEquals(slow.ord, fast.ord, line);
                    if (!okFast) {
                        continue;
                    }
                    valid++;
                    assertEquals(rs.timestamp, rf.timestamp, line);
                    for (int i = 0; i < 2; i++) {
                        assertEquals(Double.doubleToRawLongBits(rs.values[i]), Double.doubleToRawLongBits(rf.values[i]),
                                line);
                    }
                    UTF8String id = fast.idUtf8();
                    assertArrayEquals(UTF8String.fromString(slow.id).getBytes(), id.getBytes(), line);
                }
                assertTrue(!slow.advance(), "as many rows");
                assertTrue(valid > 1_000, "valid rows: " + valid);
            }
        }
    }
}
