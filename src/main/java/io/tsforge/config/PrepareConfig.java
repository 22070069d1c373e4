package io.tsforge.config;

import io.tsforge.core.Normalization;
import io.tsforge.core.ResampleSpec;
import io.tsforge.core.TimeSplit;
import io.tsforge.core.TimestampParser;
import io.tsforge.core.WindowSpec;

import java.io.Serializable;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** Everything {@code prepare} needs, validated as a whole before the first Spark action. */
public record PrepareConfig(InputSpec input, ResampleSpec resample, int partitions, TimeSplit split,
                            Normalization normalization, WindowSpec window, String outputDir,
                            ConfigKeys.OutputFormat outputFormat) implements Serializable {

    public static PrepareConfig from(Config c) {
        InputSpec input = InputSpec.from(c);
        ResampleSpec resample;
        try {
            resample = new ResampleSpec(c.get(ConfigKeys.SERIES_FREQUENCY), alignOffset(input.zone()),
                    c.get(ConfigKeys.SERIES_AGGREGATION), c.get(ConfigKeys.SERIES_DUPLICATES),
                    c.get(ConfigKeys.SERIES_MAX_GAP_FILL), c.get(ConfigKeys.SERIES_GAP_FILL));
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("series.*", e.getMessage());
        }
        return new PrepareConfig(input, resample, c.get(ConfigKeys.SERIES_PARTITIONS), split(c, input.zone()),
                c.get(ConfigKeys.NORMALIZE_METHOD), window(c), preparedDir(c),
                c.get(ConfigKeys.OUTPUT_FORMAT));
    }

    /** {@code prepare} writes into {@code <output.dir>/prepared}; the later jobs read from there. */
    public static String preparedDir(Config c) {
        return c.get(ConfigKeys.OUTPUT_DIR) + "/prepared";
    }

    /** Steps of a day or longer start at local midnight: align the grid to the zone's standard offset. */
    static long alignOffset(ZoneId zone) {
        ZoneOffset off = zone.getRules().getStandardOffset(java.time.Instant.EPOCH);
        return -off.getTotalSeconds() * 1000L;
    }

    static TimeSplit split(Config c, ZoneId zone) {
        boolean absolute = c.isSet(ConfigKeys.SPLIT_TRAIN_END) || c.isSet(ConfigKeys.SPLIT_VALIDATION_END);
        if (absolute && (c.isSet(ConfigKeys.SPLIT_TRAIN_FRACTION) || c.isSet(ConfigKeys.SPLIT_VALIDATION_FRACTION))) {
            throw new ConfigException("split.trainFraction", "set either the absolute split (split.trainEnd, "
                    + "split.validationEnd) or the fractional one, not both");
        }
        try {
            if (absolute) {
                TimestampParser tp = TimestampParser.of("auto", zone);
                return TimeSplit.absolute(
                        bound(tp, c, ConfigKeys.SPLIT_TRAIN_END, true),
                        bound(tp, c, ConfigKeys.SPLIT_VALIDATION_END, true),
                        c.isSet(ConfigKeys.SPLIT_TEST_END) ? bound(tp, c, ConfigKeys.SPLIT_TEST_END, true) : null);
            }
            if (c.isSet(ConfigKeys.SPLIT_TEST_END)) {
                throw new ConfigException("split.testEnd", "only applies to the absolute split");
            }
            return TimeSplit.fractions(c.get(ConfigKeys.SPLIT_TRAIN_FRACTION),
                    c.get(ConfigKeys.SPLIT_VALIDATION_FRACTION));
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("split.*", e.getMessage());
        }
    }

    private static long bound(TimestampParser tp, Config c, ConfigKey<String> key, boolean required) {
        String text = c.get(key);
        if (text == null) {
            throw new ConfigException(key.name(), "required with the absolute split");
        }
        long v = tp.parse(text);
        if (v == TimestampParser.INVALID) {
            throw new ConfigException(key.name(), "cannot read '" + text + "' as a timestamp");
        }
        return v;
    }

    static WindowSpec window(Config c) {
        int lookback = c.get(ConfigKeys.WINDOW_LOOKBACK);
        WindowSpec.ShortHistory sh = c.get(ConfigKeys.WINDOW_SHORT_HISTORY);
        Integer minHistory = c.get(ConfigKeys.WINDOW_MIN_HISTORY);
        if (minHistory != null && sh == WindowSpec.ShortHistory.SKIP) {
            throw new ConfigException("window.minHistory", "only applies with window.shortHistory=pad, found "
                    + minHistory);
        }
        try {
            return new WindowSpec(lookback, c.get(ConfigKeys.WINDOW_HORIZON), c.get(ConfigKeys.WINDOW_STRIDE),
                    c.get(ConfigKeys.WINDOW_EVAL_STRIDE), sh,
                    minHistory != null ? minHistory : Math.max(1, lookback / 4));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("window.*", e.getMessage());
        }
    }
}
