package io.tsforge.spark;

import io.tsforge.config.ConfigException;
import io.tsforge.config.InputSpec;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

/**
 * Reads raw readings of any supported format into one uniform shape: {@code _id, _ts, _v0.._vN} as text (so that every
 * parse failure can be quarantined with the text that caused it), {@code _malformed} (the line did not fit the
 * header), {@code _file} and {@code _ord} (input order, which decides {@code series.duplicates=first|last}).
 * prepare reads CSV through {@link CsvLines}, which gives the same rows as this reader's CSV case (tested against it).
 */
public final class RawInput {

    public static final String CORRUPT = "_corrupt_record";

    private RawInput() {
    }

    public static Dataset<Row> read(SparkSession spark, InputSpec in) {
        Dataset<Row> df;
        switch (in.format()) {
            case CSV -> {
                StructType header = csvHeader(spark, in);
                StructType schema = header.add(CORRUPT, DataTypes.StringType);
                df = spark.read().option("header", "true").option("sep", in.csvDelimiter())
                        .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
                        .schema(schema).csv(in.path());
            }
            case JSON -> df = spark.read().option("mode", "PERMISSIVE")
                    .option("columnNameOfCorruptRecord", CORRUPT).json(in.path());
            default -> df = spark.read().parquet(in.path());
        }
        List<String> columns = Arrays.asList(df.columns());
        requireColumns(columns, in);
        List<Column> select = new ArrayList<>();
        select.add((in.wide() ? lit(in.seriesName()) : col(q(in.idColumn())).cast("string")).as("_id"));
        select.add(col(q(in.timeColumn())).cast("string").as("_ts"));
        for (int i = 0; i < in.valueColumns().size(); i++) {
            select.add(col(q(in.valueColumns().get(i))).cast("string").as("_v" + i));
        }
        select.add((columns.contains(CORRUPT) ? col(CORRUPT).isNotNull() : lit(false)).as("_malformed"));
        select.add(input_file_name().as("_file"));
        select.add(monotonically_increasing_id().as("_ord"));
        return df.select(select.toArray(new Column[0]));
    }

    /** The columns of a CSV input as Spark reads them from its header (all strings). */
    static StructType csvHeader(SparkSession spark, InputSpec in) {
        return spark.read().option("header", "true").option("sep", in.csvDelimiter()).csv(in.path()).schema();
    }

    /** Fails naming the key and the column when a column the input spec names is not among {@code columns}. */
    static void requireColumns(List<String> columns, InputSpec in) {
        if (in.idColumn() != null) {
            requireColumn(columns, "input.idColumn", in.idColumn());
        }
        requireColumn(columns, "input.timeColumn", in.timeColumn());
        for (String v : in.valueColumns()) {
            requireColumn(columns, "input.valueColumns", v);
        }
    }

    private static void requireColumn(List<String> columns, String key, String name) {
        if (!columns.contains(name)) {
            List<String> visible = columns.stream().filter(c -> !c.equals(CORRUPT)).toList();
            throw new ConfigException(key, "column '" + name + "' not found in the input; its columns are " + visible);
        }
    }

    private static String q(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** The schema {@link #read} returns, for a given number of value columns. */
    public static StructType schema(int values) {
        List<StructField> f = new ArrayList<>();
        f.add(DataTypes.createStructField("_id", DataTypes.StringType, true));
        f.add(DataTypes.createStructField("_ts", DataTypes.StringType, true));
        for (int i = 0; i < values; i++) {
            f.add(DataTypes.createStructField("_v" + i, DataTypes.StringType, true));
        }
        f.add(DataTypes.createStructField("_malformed", DataTypes.BooleanType, false));
        f.add(DataTypes.createStructField("_file", DataTypes.StringType, false));
        f.add(DataTypes.createStructField("_ord", DataTypes.LongType, false));
        return DataTypes.createStructType(f);
    }
}
