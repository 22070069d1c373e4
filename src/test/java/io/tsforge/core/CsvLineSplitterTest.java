package io.tsforge.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvLineSplitterTest {

    /** A tokenizer that records the lines it is given and answers with a fixed split. */
    static final class Recording implements CsvLineSplitter.Tokenizer {
        final List<String> lines = new ArrayList<>();
        String[] answer;

        @Override
        public String[] tokens(String line) {
            lines.add(line);
            return answer;
        }
    }

    /** id, time, value of a 4-column header {@code id,time,other,value}. */
    static CsvLineSplitter fourColumns(String delimiter) {
        return new CsvLineSplitter(delimiter, '"', '\\', '\0', 4, 20480, false, 0, 1, 3);
    }

    final Recording full = new Recording();
    final String[] out = new String[3];

    @Test
    void plainLineIsSplitWithoutTheTokenizer() {
        assertFalse(fourColumns(",").split("s1,2024-01-01,x,1.5", out, full));
        assertArrayEquals(new String[]{"s1", "2024-01-01", "1.5"}, out);
        assertTrue(full.lines.isEmpty());
    }

    @Test
    void emptyFieldsAreNullAndWhitespaceIsKept() {
        assertFalse(fourColumns(",").split(",  ,, 2 ", out, full));
        assertArrayEquals(new String[]{null, "  ", " 2 "}, out);
        assertFalse(fourColumns(",").split("a,b,c,", out, full));
        assertArrayEquals(new String[]{"a", "b", null}, out);
    }

    @Test
    void otherDelimiters() {
        assertFalse(fourColumns(";").split("a;b,c;x;4,5", out, full));
        assertArrayEquals(new String[]{"a", "b,c", "4,5"}, out);
        assertFalse(fourColumns("\t").split("a\tb\t\t4", out, full));
        assertArrayEquals(new String[]{"a", "b", "4"}, out);
    }

    @Test
    void wrongFieldCountIsMalformedAndKeepsFieldsByPosition() {
        assertTrue(fourColumns(",").split("a,b", out, full));
        assertArrayEquals(new String[]{"a", "b", null}, out);
        assertTrue(fourColumns(",").split("a,b,c,d,e,f", out, full));
        assertArrayEquals(new String[]{"a", "b", "d"}, out);
        assertTrue(fourColumns(",").split("only", out, full));
        assertArrayEquals(new String[]{"only", null, null}, out);
    }

    @Test
    void linesWithQuotesOrEscapesGoToTheTokenizer() {
        full.answer = new String[]{"a,b", "", "x", "9"};
        assertFalse(fourColumns(",").split("\"a,b\",\"\",x,9", out, full));
        assertArrayEquals(new String[]{"a,b", null, "9"}, out);  // "" from the tokenizer is null too
        full.answer = new String[]{"a", "t\\"};
        assertTrue(fourColumns(",").split("a,t\\", out, full));
        assertArrayEquals(new String[]{"a", "t\\", null}, out);
        assertEquals(List.of("\"a,b\",\"\",x,9", "a,t\\"), full.lines);
    }

    @Test
    void noRecordFromTheTokenizerIsMalformedWithNullFields() {
        full.answer = null;
        assertTrue(fourColumns(",").split("\"", out, full));
        assertArrayEquals(new String[]{null, null, null}, out);
    }

    @Test
    void multiCharacterDelimiterAlwaysGoesToTheTokenizer() {
        full.answer = new String[]{"a", "b", "c", "d"};
        assertFalse(fourColumns("||").split("a||b||c||d", out, full));
        assertArrayEquals(new String[]{"a", "b", "d"}, out);
        assertEquals(1, full.lines.size());
    }

    @Test
    void moreFieldsThanTheParserAllowsGoToTheTokenizer() {
        CsvLineSplitter s = new CsvLineSplitter(",", '"', '\\', '\0', 2, 3, false, 0, 1);
        full.answer = new String[]{"x", "y"};
        String[] two = new String[2];
        assertTrue(s.split("a,b,c", two, full));  // three fields: at the limit, split here
        assertTrue(full.lines.isEmpty());
        assertFalse(s.split("a,b,c,d", two, full));
        assertEquals(List.of("a,b,c,d"), full.lines);
        assertArrayEquals(new String[]{"x", "y"}, two);
    }

    @Test
    void prunedReadChecksNoFieldCountAndMapsTheTokenizersSelectedFields() {
        // header id,time,other,value; value, id, time read: a pruned parser returns id, time, value (column order)
        CsvLineSplitter s = new CsvLineSplitter(",", '"', '\\', '\0', 4, 20480, true, 3, 0, 1);
        assertFalse(s.split("a,b", out, full));
        assertArrayEquals(new String[]{null, "a", "b"}, out);
        assertFalse(s.split("a,b,c,d,e", out, full));
        assertArrayEquals(new String[]{"d", "a", "b"}, out);
        full.answer = new String[]{"i", "t", "v"};
        assertFalse(s.split("\"i\",t,x,v", out, full));
        assertArrayEquals(new String[]{"v", "i", "t"}, out);
        full.answer = new String[]{"i"};
        assertTrue(s.split("\"i", out, full));
        assertArrayEquals(new String[]{null, "i", null}, out);
    }

    @Test
    void blankAndCommentLinesAreNotData() {
        CsvLineSplitter s = fourColumns(",");
        assertFalse(s.isData(""));
        assertFalse(s.isData(" \t "));
        assertTrue(s.isData("\0a,b,c,d"));  // '\0': no comment character
        assertTrue(s.isData(" a"));
        CsvLineSplitter hash = new CsvLineSplitter(",", '"', '\\', '#', 4, 20480, false, 0, 1, 3);
        assertFalse(hash.isData("#a,b,c,d"));
        assertTrue(hash.isData(" #a,b,c,d"));
        assertTrue(CsvLineSplitter.isBlank("\u0001 "));
        assertFalse(CsvLineSplitter.isBlank("\u00a0"));  // trim() keeps it: Spark reads the line
    }

    @Test
    void badSelectionsFail() {
        assertThrows(IllegalArgumentException.class,
                () -> new CsvLineSplitter(",", '"', '\\', '\0', 2, 10, false, 0, 2));
        assertThrows(IllegalArgumentException.class,
                () -> new CsvLineSplitter(",", '"', '\\', '\0', 2, 10, false, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CsvLineSplitter("", '"', '\\', '\0', 2, 10, false, 0));
    }
}
