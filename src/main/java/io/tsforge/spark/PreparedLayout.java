package io.tsforge.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The folders and schemas {@code prepare} writes, which every later job reads:
 * <ul>
 *   <li>{@code series/}: one row per resampled step, raw and normalized values, split, filled flag;</li>
 *   <li>{@code segments/}: one row per gap-free segment with its normalized values as float arrays, the compact form
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

    /** {@code values[feature]} holds the normalized feature over the segment; {@code split} one code per step. */
    public static StructType segmentSchema() {
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("series_id", DataTypes.StringType, false),
                DataTypes.createStructField("segment", DataTypes.IntegerType, false),
                DataTypes.createStructField("start_ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("step_ms", DataTypes.LongType, false),
                DataTypes.createStructField("length", DataTypes.IntegerType, false),
                DataTypes.createStructField("values", DataTypes.createArrayType(
                        DataTypes.createArrayType(DataTypes.FloatType, false), false), false),
                DataTypes.createStructField("split", DataTypes.BinaryType, false)));
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
