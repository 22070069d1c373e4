package io.tsforge.spark;

import io.tsforge.core.CsvLineSplitter;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The splitter against univocity set up as Spark's CSV source sets it up (no Spark session): on any line, the fast
 * path or the tokenizer, the fields and the malformed flag are what Spark's reading of the line gives.
 */
class CsvLinesTest {

    /**
     * What Spark's CSV source makes of one line with univocity's full tokens: fields by position, "" and missing as
     * null, malformed when the count is not the header's (when every column is read).
     */
    static boolean spark(CsvLineSplitter.Tokenizer univocity, String line, int columns, int[] selected, String[] out) {
        String[] t = univocity.tokens(line);
        if (t == null) {
            Arrays.fill(out, null);
            return true;
        }
        for (int s = 0; s < selected.length; s++) {
            String v = selected[s] < t.length ? t[selected[s]] : null;
            out[s] = v == null || v.isEmpty() ? null : v;
        }
        return t.length != columns;
    }

    static void agreeOnRandomLines(String delimiter, String alphabet) {
        agreeOnRandomLines(delimiter, alphabet, new int[]{3, 0, 1, 2});
    }

    /** A line of 1 to 24 characters drawn from {@code alphabet}. */
    static String randomLine(SplittableRandom rnd, String alphabet) {
        StringBuilder sb = new StringBuilder();
        int len = 1 + rnd.nextInt(24);
        for (int i = 0; i < len; i++) {
            sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    static void agreeOnRandomLines(String delimiter, String alphabet, int[] selected) {
        int columns = 4;
        CsvLineSplitter splitter = CsvLines.splitter(delimiter, columns, false, selected);
        CsvLineSplitter.Tokenizer univocity = CsvLines.sparkTokenizer(delimiter, splitter, false);
        SplittableRandom rnd = new SplittableRandom(7);
        String[] mine = new String[selected.length];
        String[] theirs = new String[selected.length];
        int plain = 0;
        for (int n = 0; n < 20_000; n++) {
            String line = randomLine(rnd, alphabet);
            if (!splitter.isData(line)) {
                continue;
            }
            plain += splitter.plain(line) ? 1 : 0;
            boolean m = splitter.split(line, mine, univocity);
            boolean s = spark(univocity, line, columns, selected, theirs);
            assertEquals(s, m, () -> "malformed flag of [" + line + "]");
            assertArrayEquals(theirs, mine, () -> "fields of [" + line + "]");
        }
        assertTrue(plain > 1000, "the fast path was taken " + plain + " times");
    }

    @Test
    void commaLinesWithQuotesEscapesSpacesAndEmptyFields() {
        agreeOnRandomLines(",", "ab1 ,,,\"\\\t;é");
    }

    @Test
    void semicolonAndTabDelimiters() {
        agreeOnRandomLines(";", "ab1 ;;;,\"\\\t");
        agreeOnRandomLines("\t", "ab1 \t\t\t,;\"");
    }

    /** A pruned read: the fields of univocity with Spark's column selection, mapped back, on random lines. */
    @Test
    void prunedReadAgreesWithSelectingUnivocity() {
        int[] selected = {3, 0, 1};
        CsvLineSplitter splitter = CsvLines.splitter(",", 4, true, selected);
        CsvLineSplitter.Tokenizer selecting = CsvLines.sparkTokenizer(",", splitter, true);
        CsvLineSplitter.Tokenizer all = CsvLines.sparkTokenizer(",", splitter, false);
        SplittableRandom rnd = new SplittableRandom(11);
        String alphabet = "ab1 ,,,\"\\";
        String[] mine = new String[3];
        String[] theirs = new String[3];
        for (int n = 0; n < 20_000; n++) {
            String line = randomLine(rnd, alphabet);
            if (!splitter.isData(line)) {
                continue;
            }
            assertFalse(splitter.split(line, mine, selecting), () -> "no field count check: [" + line + "]");
            // univocity's selection takes the same fields as its full split
            spark(all, line, 4, selected, theirs);
            assertArrayEquals(theirs, mine, () -> "fields of [" + line + "]");
        }
    }

    @Test
    void sparkEscapedTabDelimiterIsATab() {
        CsvLineSplitter s = CsvLines.splitter("\\t", 2, false, 0, 1);
        String[] out = new String[2];
        assertFalse(s.split("a\tb", out, CsvLines.sparkTokenizer("\\t", s, false)));
        assertArrayEquals(new String[]{"a", "b"}, out);
    }

    @Test
    void quotedFieldsAsSparkReadsThem() {
        CsvLineSplitter s = CsvLines.splitter(",", 3, false, 0, 1, 2);
        CsvLineSplitter.Tokenizer u = CsvLines.sparkTokenizer(",", s, false);
        String[] out = new String[3];
        assertFalse(s.split("\"a,b\",\"\",\"say \\\"hi\\\"\"", out, u));
        assertArrayEquals(new String[]{"a,b", null, "say \"hi\""}, out);
        assertTrue(s.split("\"unclosed,1,2", out, u));
    }
}
