package io.tsforge.spark;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The folders and schemas {@code prepare} writes, which every later job reads:
 * <ul>
 *   <li>{@code series/}: one row per resampled step, raw and normalized values, split, filled flag (Parquet, or CSV
 *   with a header under {@code output.format=csv}: read it with {@link #readSeries});</li>
 *   <li>{@code segments/}: one row per gap-free segment with its normalized values as packed floats, the compact form
 *   the training job cuts windows from (windows are never materialized lookback-fold);</li>
 *   <li>{@code windows/split=.../}: one row per window: segment, origin step, history length;</li>
 *   <li>{@code stats/normalization.json}, {@code quarantine/} (CSV) and {@code _summary.json}.</li>
 * </ul>
 */
public final class PreparedLayout {

    public static final String SERIES = "series";
    public static final String SEGMENTS = "segments";
    public static final String WINDOWS = "windows";
    public static final String QUARANTINE = "quarantine";
    public static final String STATS = "stats/normalization.json";
    public static final String SUMMARY = "_summary.json";

    private PreparedLayout() {
    }

    public static StructType seriesSchema(List<String> valueColumns) {
        List<StructField> f = new ArrayList<>();
        f.add(DataTypes.createStructField("series_id", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("timestamp", DataTypes.TimestampType, false));
        f.add(DataTypes.createStructField("segment", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("step", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("split", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("filled", DataTypes.BooleanType, false));
        f.add(DataTypes.createStructField("raw_rows", DataTypes.IntegerType, false));
        for (String v : valueColumns) {
            f.add(DataTypes.createStructField(v, DataTypes.DoubleType, false));
        }
        for (String v : valueColumns) {
            f.add(DataTypes.createStructField(v + "_norm", DataTypes.DoubleType, false));
        }
        return DataTypes.createStructType(f);
    }

    /**
     * prepare's {@code series/} in the format it was written in: CSV when its part files are {@code .csv} (prepare ran
     * with {@code output.format=csv}), Parquet otherwise. The CSV columns are typed as {@link #seriesSchema} types them,
     * by name from the header: the fixed columns, then every value column and its {@code _norm} as doubles.
     */
    public static Dataset<Row> readSeries(SparkSession spark, String preparedDir) {
        String path = preparedDir + "/" + SERIES;
        if (!isCsv(spark, path)) {
            return spark.read().parquet(path);
        }
        Map<String, DataType> fixed = Map.of("series_id", DataTypes.StringType, "timestamp", DataTypes.TimestampType,
                "segment", DataTypes.IntegerType, "step", DataTypes.IntegerType, "split", DataTypes.StringType,
                "filled", DataTypes.BooleanType, "raw_rows", DataTypes.IntegerType);
        List<StructField> f = new ArrayList<>();
        for (String name : spark.read().option("header", "true").csv(path).columns()) {
            f.add(DataTypes.createStructField(name, fixed.getOrDefault(name, DataTypes.DoubleType), true));
        }
        // prepare writes its CSV with Spark's defaults (ISO-8601 timestamps with offset), read back with the same
        return spark.read().option("header", "true").option("mode", "FAILFAST").schema(DataTypes.createStructType(f))
                .csv(path);
    }

    private static boolean isCsv(SparkSession spark, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) {
                return false;  // let the Parquet reader name the missing folder
            }
            for (FileStatus s : fs.listStatus(p)) {
                String n = s.getPath().getName();
                if (n.startsWith("part-") && (n.endsWith(".csv") || n.contains(".csv."))) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The column of {@code segments/} holding a segment's normalized values: {@code features x length} 32-bit floats,
     * little-endian, feature-major (all steps of feature 0, then feature 1, ...), one binary value per segment.
     */
    public static final String SEGMENT_VALUES = "values_f32le";

    /**
     * The {@code segments/} column of the layout before {@link #SEGMENT_VALUES}: {@code array<array<float>>}, one
     * array per feature. Still read (see {@link #segmentValues}).
     */
    public static final String SEGMENT_VALUES_ARRAYS = "values";

    /**
     * One row per segment: {@link #SEGMENT_VALUES} holds its normalized values as packed floats (see there),
     * {@code split} one code per step. Parquet writes a {@code float} array element by element, with a repetition and
     * definition level per value; one binary value per segment costs a copy.
     */
    public static StructType segmentSchema() {
        return segmentSchema(DataTypes.createStructField(SEGMENT_VALUES, DataTypes.BinaryType, false));
    }

    /** The columns of a segment row, with {@code values} as the values' column. */
    private static StructType segmentSchema(StructField values) {
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("segment", DataTypes.IntegerType, false),
                DataTypes.createStructField("start_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("step_ms", DataTypes.LongType, false),
                DataTypes.createStructField("length", DataTypes.IntegerType, false),
                values,
                DataTypes.createStructField("split", DataTypes.BinaryType, false)));
    }

    /** Packs {@code values[feature][step]} (every feature over the same steps) as {@link #SEGMENT_VALUES} stores it. */
    public static byte[] packSegmentValues(float[][] values) {
        int n = values.length == 0 ? 0 : values[0].length;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * values.length * n)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float[] v : values) {
            b.asFloatBuffer().put(v);
            b.position(b.position() + 4 * v.length);
        }
        return b.array();
    }

    /** The inverse of {@link #packSegmentValues}; {@code what} names the segment in the error of a bad length. */
    public static float[][] unpackSegmentValues(byte[] packed, int length, String what) {
        if (length <= 0 || packed.length % (4 * length) != 0) {
            throw new IllegalArgumentException("segments/ " + SEGMENT_VALUES + " of " + what + " holds "
                    + packed.length + " bytes, not a whole number of " + length + "-step float features");
        }
        float[][] out = new float[packed.length / (4 * length)][length];
        java.nio.FloatBuffer fb = java.nio.ByteBuffer.wrap(packed).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        for (float[] v : out) {
            fb.get(v);
        }
        return out;
    }

    /**
     * {@code values[feature][step]} of a row of {@code segments/}, in either layout: {@link #SEGMENT_VALUES} (packed
     * floats) or the earlier {@link #SEGMENT_VALUES_ARRAYS} ({@code array<array<float>>}).
     */
    public static float[][] segmentValues(Row r) {
        String[] names = r.schema().fieldNames();
        if (java.util.Arrays.asList(names).contains(SEGMENT_VALUES)) {
            return unpackSegmentValues(r.getAs(SEGMENT_VALUES), r.getInt(r.fieldIndex("length")),
                    "series " + r.getString(r.fieldIndex("series_id")) + " segment " + r.getInt(r.fieldIndex("segment")));
        }
        if (!java.util.Arrays.asList(names).contains(SEGMENT_VALUES_ARRAYS)) {
            throw new IllegalArgumentException("segments/ has neither " + SEGMENT_VALUES + " (packed floats) nor "
                    + SEGMENT_VALUES_ARRAYS + " (float arrays, the earlier layout); its columns are "
                    + java.util.Arrays.toString(names) + ": is it prepare's output?");
        }
        List<Object> vals = r.getList(r.fieldIndex(SEGMENT_VALUES_ARRAYS));
        float[][] values = new float[vals.size()][];
        for (int f = 0; f < values.length; f++) {
            // inner arrays arrive as Scala sequences
            scala.collection.Seq<?> v = (scala.collection.Seq<?>) vals.get(f);
            values[f] = new float[v.length()];
            for (int t = 0; t < values[f].length; t++) {
                values[f][t] = (Float) v.apply(t);
            }
        }
        return values;
    }

    /** The earlier {@code segments/} schema, with {@link #SEGMENT_VALUES_ARRAYS}: what {@link #segmentValues} reads too. */
    public static StructType segmentArraySchema() {
        return segmentSchema(DataTypes.createStructField(SEGMENT_VALUES_ARRAYS, DataTypes.createArrayType(
                DataTypes.createArrayType(DataTypes.FloatType, false), false), false));
    }

    public static StructType windowSchema() {
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("segment", DataTypes.IntegerType, false),
                DataTypes.createStructField("origin", DataTypes.IntegerType, false),
                DataTypes.createStructField("origin_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("history", DataTypes.IntegerType, false),
                DataTypes.createStructField("split", DataTypes.StringType, false)));
    }

    /**
     * The columns stored in the files of {@code windows/split=<label>/}: {@link #windowSchema} without {@code split},
     * which readers take from the folder name.
     */
    public static StructType windowFileSchema() {
        return DataTypes.createStructType(java.util.Arrays.stream(windowSchema().fields())
                .filter(f -> !f.name().equals("split")).toList());
    }

    public static StructType quarantineSchema(List<String> valueColumns, boolean wide) {
        List<StructField> f = new ArrayList<>();
        if (!wide) {
            f.add(DataTypes.createStructField("series_id", DataTypes.StringType, true));
        }
        f.add(DataTypes.createStructField("timestamp", DataTypes.StringType, true));
        for (String v : valueColumns) {
            f.add(DataTypes.createStructField(v, DataTypes.StringType, true));
        }
        f.add(DataTypes.createStructField("reason", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("detail", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("source_file", DataTypes.StringType, false));
        return DataTypes.createStructType(f);
    }
}
