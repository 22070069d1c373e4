package io.tsforge.spark;

import io.tsforge.core.RawRowParser;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;

import java.util.Iterator;

/**
 * One raw input row at a time ({@link RawInput#schema}'s fields as Java strings), from whichever reader produced the
 * partition: {@link #of} over the rows of {@link RawInput#read}, or {@link CsvLines.Cursor} over text lines.
 */
public abstract class RawCursor {
    /** The series id (the fixed series name of wide input), or null. */
    public String id;
    public String ts;
    public final String[] values;
    public boolean malformed;
    /** The file name: a reused buffer, valid until the next {@link #advance}. */
    public UTF8String file;
    public long ord;

    protected RawCursor(int values) {
        this.values = new String[values];
    }

    private String lastIdText;
    private UTF8String lastIdUtf8;

    /** Moves to the next row; false at the end of the partition. */
    public abstract boolean advance();

    /**
     * Makes sure {@link #id}, {@link #ts}, {@link #values} and {@link #malformed} hold the current row (a cursor may
     * parse a row without making its strings; see {@link #parse}).
     */
    public void strings() {
    }

    /**
     * {@link RawRowParser#parse} of the current row into {@code r}: whether the row is valid. A cursor may take a
     * faster path with the same outcome.
     */
    public boolean parse(RawRowParser parser, boolean requireId, RawRowParser.Result r) {
        strings();
        parser.parse(requireId, id, ts, values, malformed, r);
        return r.ok();
    }

    /**
     * The current row's series id as Spark's string ({@code UTF8String.fromString(id)}), or null when it has none;
     * the same instance as long as consecutive rows share the id (their rows are written in place, so one instance per
     * run of rows is enough).
     */
    public UTF8String idUtf8() {
        strings();
        if (id == null) {
            return null;
        }
        if (id != lastIdText && !id.equals(lastIdText)) {
            lastIdText = id;
            lastIdUtf8 = UTF8String.fromString(id);
        }
        return lastIdUtf8;
    }

    /** The last id {@link #idUtf8} gave (for a subclass that finds the id another way). */
    protected UTF8String lastIdUtf8() {
        return lastIdUtf8;
    }

    /** Sets the last id found another way than from {@link #id}'s string. */
    protected void lastIdUtf8(UTF8String id) {
        lastIdText = null;
        lastIdUtf8 = id;
    }

    /** A cursor over internal rows of {@link RawInput#schema} with {@code values} value columns. */
    public static RawCursor of(Iterator<InternalRow> rows, int values) {
        return new RawCursor(values) {
            // the source rows are reused buffers: the id's text is kept while consecutive rows share it
            UTF8String lastId;

            @Override
            public boolean advance() {
                if (!rows.hasNext()) {
                    return false;
                }
                InternalRow row = rows.next();
                int nv = this.values.length;
                for (int i = 0; i < nv; i++) {
                    this.values[i] = text(row, 2 + i);
                }
                UTF8String u = row.isNullAt(0) ? null : row.getUTF8String(0);
                if (u == null) {
                    id = null;
                } else if (!u.equals(lastId)) {
                    lastId = u.clone();
                    id = lastId.toString();
                }
                ts = text(row, 1);
                malformed = row.getBoolean(2 + nv);
                file = row.getUTF8String(3 + nv);
                ord = row.getLong(4 + nv);
                return true;
            }
        };
    }

    private static String text(InternalRow row, int i) {
        return row.isNullAt(i) ? null : row.getUTF8String(i).toString();
    }
}
