package io.tsforge.spark;

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

    /** Moves to the next row; false at the end of the partition. */
    public abstract boolean advance();

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
