package io.tsforge.core;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Splits one CSV line (no line terminator) into the fields prepare reads, the way Spark's CSV source reads a line with
 * {@code header=true}, all-string columns and {@code mode=PERMISSIVE}: a field that is empty becomes null, fields are
 * taken by position (missing ones null, extra ones ignored), and lines that are blank after {@link String#trim()} or
 * start with the comment character (when one is set) are not data. Whether a line with another number of fields than
 * the header is malformed depends, as in Spark, on column pruning: Spark's parser checks the count only when it reads
 * every column of the header; when it reads fewer ({@code pruned}), its tokenizer returns just the selected fields and
 * no line is malformed for its count.
 *
 * <p>The fast path is a plain split on a one-character delimiter, taken only for a line that holds neither the quote
 * nor the escape character: on such a line a CSV parser has nothing to interpret, every delimiter ends a field. Any
 * other line (quotes, escapes, a multi-character delimiter, more fields than the parser's limit) goes to the
 * {@link Tokenizer} given, which the Spark layer sets up exactly as Spark sets up its own CSV parser, so both paths
 * give Spark's fields.
 */
public final class CsvLineSplitter implements Serializable {

    /** A full CSV parser for one line: its fields in order (an empty field as "" or null), or null for no record. */
    public interface Tokenizer {
        String[] tokens(String line);
    }

    private final String delimiter;
    private final char delim;
    private final boolean singleChar;
    private final char quote;
    private final char escape;
    private final char comment;
    private final int columns;
    private final int maxColumns;
    private final int[] slotOf;
    private final int[] columnOf;
    private final int slots;
    private final boolean pruned;
    private final int[] ascending;

    /**
     * @param delimiter  the field delimiter (one or more characters)
     * @param quote      the quote character; a line holding it goes to the tokenizer
     * @param escape     the escape character; a line holding it goes to the tokenizer
     * @param comment    a line starting with it is not data; {@code '\0'}: no comment character (Spark's default)
     * @param columns    the header's number of fields
     * @param maxColumns the tokenizer's limit on fields per line: a longer line goes to the tokenizer (which fails)
     * @param pruned     whether Spark's parser selects the read columns (column pruning on, fewer columns read than
     *                   the header has): the field count is not checked, and the {@link Tokenizer} returns only the
     *                   selected fields, in ascending column order; otherwise it returns every field
     * @param selected   the column index of each output slot, each index at most once
     */
    public CsvLineSplitter(String delimiter, char quote, char escape, char comment, int columns, int maxColumns,
                           boolean pruned, int... selected) {
        if (delimiter == null || delimiter.isEmpty()) {
            throw new IllegalArgumentException("the delimiter is empty");
        }
        this.delimiter = delimiter;
        this.delim = delimiter.charAt(0);
        this.singleChar = delimiter.length() == 1 && delim != quote && delim != escape && delim != '\n'
                && delim != '\r';
        this.quote = quote;
        this.escape = escape;
        this.comment = comment;
        this.columns = columns;
        this.maxColumns = maxColumns;
        this.slots = selected.length;
        this.columnOf = selected.clone();
        int max = Arrays.stream(selected).max().orElse(-1);
        this.slotOf = new int[max + 1];
        Arrays.fill(slotOf, -1);
        for (int s = 0; s < selected.length; s++) {
            int c = selected[s];
            if (c < 0 || c >= columns) {
                throw new IllegalArgumentException("column " + c + " is not among the " + columns + " columns");
            }
            if (slotOf[c] >= 0) {
                throw new IllegalArgumentException("column " + c + " is selected twice");
            }
            slotOf[c] = s;
        }
        this.pruned = pruned;
        this.ascending = selected.clone();
        Arrays.sort(ascending);
    }

    /** The selected column indexes in ascending order: the order of a pruned tokenizer's fields. */
    public int[] ascendingColumns() {
        return ascending.clone();
    }

    /** The delimiter this splitter was made with. */
    public String delimiter() {
        return delimiter;
    }

    /** Whether a line is blank after {@link String#trim()} (Spark drops it, and skips it looking for the header). */
    public static boolean isBlank(String line) {
        int n = line.length();
        for (int i = 0; i < n; i++) {
            if (line.charAt(i) > ' ') {
                return false;
            }
        }
        return true;
    }

    /** Whether a comment character is set (then {@link #isData} also looks at a line's first character). */
    public boolean hasComment() {
        return comment != '\0';
    }

    /** Whether a line is a data line: not blank and not starting with the comment character. */
    public boolean isData(String line) {
        return !isBlank(line) && (comment == '\0' || line.charAt(0) != comment);
    }

    /** Whether {@link #split} takes the fast path for this line (no quote, no escape, one-character delimiter). */
    public boolean plain(String line) {
        return singleChar && line.indexOf(quote) < 0 && line.indexOf(escape) < 0;
    }

    /**
     * Writes the selected fields of a data line into {@code out} (one per selected column, null for an empty or
     * missing field) and returns whether the line is malformed (its field count is not the header's).
     */
    public boolean split(String line, String[] out, Tokenizer full) {
        if (plain(line)) {
            Arrays.fill(out, 0, slots, null);
            int n = line.length();
            int start = 0;
            int field = 0;
            while (true) {
                int end = line.indexOf(delim, start);
                if (end < 0) {
                    end = n;
                }
                if (field < slotOf.length && slotOf[field] >= 0 && end > start) {
                    out[slotOf[field]] = line.substring(start, end);
                }
                field++;
                if (end == n) {
                    break;
                }
                if (field >= maxColumns) {
                    return splitFull(line, out, full);  // the parser's own error for too many fields
                }
                start = end + 1;
            }
            return !pruned && field != columns;
        }
        return splitFull(line, out, full);
    }

    /**
     * Whether a line's UTF-8 bytes {@code b[0, n)} are blank: every byte at most {@code ' '}, which is exactly when
     * its decoded text is blank after {@link String#trim()} (any byte from 0x80 up decodes to a character above the
     * space, a malformed sequence to U+FFFD).
     */
    public static boolean isBlank(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if ((b[i] & 0xff) > ' ') {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #split} of a line given as its UTF-8 bytes {@code b[0, n)}, without decoding it, when the line is ASCII
     * and takes the plain path: writes where each selected field starts and ends ({@code start[s] = -1} for a null
     * field: empty or missing) and returns 1 when the line is malformed, 0 when not; returns -1 (and nothing is
     * written that {@link #split} would not overwrite) for a line holding a byte from 0x80 up, the quote or the escape
     * character, or as many fields as the parser's limit, and whenever the delimiter is not one ASCII character: the
     * caller then splits the decoded line with {@link #split}. An ASCII line decodes to one character per byte, so the
     * fields are those {@link #split} takes.
     */
    public int splitAscii(byte[] b, int n, int[] start, int[] end) {
        if (!singleChar || delim >= 0x80) {
            return -1;
        }
        Arrays.fill(start, 0, slots, -1);
        int field = 0;
        int from = 0;
        for (int i = 0; ; i++) {
            int c = i < n ? b[i] : delim;
            if (c < 0 || c == quote || c == escape) {
                return -1;
            }
            if (c != delim) {
                continue;
            }
            if (field < slotOf.length && slotOf[field] >= 0 && i > from) {
                start[slotOf[field]] = from;
                end[slotOf[field]] = i;
            }
            field++;
            if (i >= n) {
                break;
            }
            if (field >= maxColumns) {
                return -1;  // the parser's own error for too many fields
            }
            from = i + 1;
        }
        return !pruned && field != columns ? 1 : 0;
    }

    private boolean splitFull(String line, String[] out, Tokenizer full) {
        String[] tokens = full.tokens(line);
        if (tokens == null) {
            Arrays.fill(out, 0, slots, null);
            return true;  // no record at all: every field null, malformed
        }
        if (pruned) {
            // the selected fields only, in ascending column order
            for (int k = 0; k < ascending.length; k++) {
                String t = k < tokens.length ? tokens[k] : null;
                out[slotOf[ascending[k]]] = t == null || t.isEmpty() ? null : t;
            }
            return tokens.length != slots;
        }
        for (int s = 0; s < slots; s++) {
            int c = columnOf[s];
            String t = c < tokens.length ? tokens[c] : null;
            out[s] = t == null || t.isEmpty() ? null : t;
        }
        return tokens.length != columns;
    }
}
