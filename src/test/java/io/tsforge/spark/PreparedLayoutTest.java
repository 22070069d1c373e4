package io.tsforge.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

import java.sql.Timestamp;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packed {@code segments/} values, the earlier float-array layout, and the file ranks of the shuffle. */
class PreparedLayoutTest {

    private static final float[][] VALUES = {{1.5f, -0f, Float.MIN_VALUE, 3e38f}, {0.1f, 2f, -7.25f, 1e-7f}};

    @Test
    void packedValuesRoundTripBitForBitFeatureMajorLittleEndian() {
        byte[] packed = PreparedLayout.packSegmentValues(VALUES);
        assertEquals(2 * 4 * 4, packed.length);
        // feature 0 step 0 = 1.5f = 0x3FC00000, little-endian
        assertArrayEquals(new byte[]{0, 0, (byte) 0xC0, 0x3F}, java.util.Arrays.copyOf(packed, 4));
        float[][] back = PreparedLayout.unpackSegmentValues(packed, 4, "s");
        for (int f = 0; f < VALUES.length; f++) {
            for (int t = 0; t < 4; t++) {
                assertEquals(Float.floatToRawIntBits(VALUES[f][t]), Float.floatToRawIntBits(back[f][t]));
            }
        }
    }

    @Test
    void readsBothLayoutsAndNamesABadOne() {
        Row packed = new GenericRowWithSchema(new Object[]{"s1", 0, new Timestamp(0), 300_000L, 4,
                PreparedLayout.packSegmentValues(VALUES), new byte[4]}, PreparedLayout.segmentSchema());
        List<Object> arrays = List.of(seq(VALUES[0]), seq(VALUES[1]));
        Row old = new GenericRowWithSchema(new Object[]{"s1", 0, new Timestamp(0), 300_000L, 4,
                JavaConverters.asScalaBuffer(arrays).toSeq(), new byte[4]}, PreparedLayout.segmentArraySchema());
        assertArrayEquals(VALUES, PreparedLayout.segmentValues(packed));
        assertArrayEquals(VALUES, PreparedLayout.segmentValues(old));

        Row shortBlock = new GenericRowWithSchema(new Object[]{"s1", 3, new Timestamp(0), 300_000L, 5,
                PreparedLayout.packSegmentValues(VALUES), new byte[5]}, PreparedLayout.segmentSchema());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PreparedLayout.segmentValues(shortBlock));
        assertTrue(e.getMessage().contains("values_f32le") && e.getMessage().contains("series s1 segment 3")
                && e.getMessage().contains("32 bytes"), e.getMessage());

        Row neither = new GenericRowWithSchema(new Object[]{"s1", 7},
                org.apache.spark.sql.types.DataTypes.createStructType(List.of(
                        org.apache.spark.sql.types.DataTypes.createStructField("series_id",
                                org.apache.spark.sql.types.DataTypes.StringType, false),
                        org.apache.spark.sql.types.DataTypes.createStructField("segment",
                                org.apache.spark.sql.types.DataTypes.IntegerType, false))));
        e = assertThrows(IllegalArgumentException.class, () -> PreparedLayout.segmentValues(neither));
        assertTrue(e.getMessage().contains("neither values_f32le") && e.getMessage().contains("[series_id, segment]"),
                e.getMessage());
    }

    @Test
    void fileRanksFollowTheUtf8ByteOrderSparkSortsNamesBy() {
        // UTF-16 order puts U+FF21 (fullwidth A) before U+1F600 (a surrogate pair); UTF-8 byte order after it
        Map<String, Integer> r = PrepareFunctions.fileRanks(new String[]{"file:/d/b.csv", "file:/d/\uD83D\uDE00.csv",
                "file:/d/a.csv", "file:/d/\uFF21.csv", "file:/d/a.csv"});
        assertEquals(4, r.size());
        assertEquals(0, r.get("file:/d/a.csv"));
        assertEquals(1, r.get("file:/d/b.csv"));
        assertEquals(2, r.get("file:/d/\uFF21.csv"));
        assertEquals(3, r.get("file:/d/\uD83D\uDE00.csv"));
    }

    private static scala.collection.Seq<Object> seq(float[] v) {
        List<Object> l = new java.util.ArrayList<>();
        for (float x : v) {
            l.add(x);
        }
        return JavaConverters.asScalaBuffer(l).toSeq();
    }
}
