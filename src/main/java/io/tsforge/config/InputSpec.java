package io.tsforge.config;

import io.tsforge.core.RawRowParser;
import io.tsforge.core.TimestampParser;

import java.io.Serializable;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;

/** Where raw readings are and how their columns are read. {@code idColumn == null} means wide input (one series). */
public record InputSpec(String path, ConfigKeys.InputFormat format, String idColumn, String timeColumn,
                        List<String> valueColumns, String seriesName, ZoneId zone, String timeFormat,
                        RawRowParser.NonFinite nonFinite, String csvDelimiter) implements Serializable {

    public InputSpec {
        valueColumns = List.copyOf(valueColumns);
        if (new HashSet<>(valueColumns).size() != valueColumns.size()) {
            throw new ConfigException("input.valueColumns", "columns repeat, found " + valueColumns);
        }
        if (valueColumns.contains(timeColumn) || (idColumn != null && (valueColumns.contains(idColumn)
                || idColumn.equals(timeColumn)))) {
            throw new ConfigException("input.valueColumns", "id, time and value columns must differ, found id="
                    + idColumn + " time=" + timeColumn + " values=" + valueColumns);
        }
        try {
            TimestampParser.of(timeFormat, zone);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("input.timeFormat", e.getMessage());
        }
    }

    public boolean wide() {
        return idColumn == null;
    }

    public TimestampParser timestampParser() {
        return TimestampParser.of(timeFormat, zone);
    }

    public RawRowParser rowParser() {
        return new RawRowParser(timestampParser(), timeColumn, valueColumns, nonFinite);
    }

    static InputSpec from(Config c) {
        return new InputSpec(c.get(ConfigKeys.INPUT_PATH), c.get(ConfigKeys.INPUT_FORMAT),
                c.get(ConfigKeys.INPUT_ID_COLUMN), c.get(ConfigKeys.INPUT_TIME_COLUMN),
                c.get(ConfigKeys.INPUT_VALUE_COLUMNS), c.get(ConfigKeys.INPUT_SERIES_NAME),
                c.get(ConfigKeys.INPUT_TIMEZONE), c.get(ConfigKeys.INPUT_TIME_FORMAT),
                c.get(ConfigKeys.INPUT_NON_FINITE), c.get(ConfigKeys.INPUT_CSV_DELIMITER));
    }
}
