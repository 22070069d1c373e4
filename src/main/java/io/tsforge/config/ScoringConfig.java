package io.tsforge.config;

import io.tsforge.core.TimestampParser;

import java.io.Serializable;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** What {@code forecast} and {@code detect} need: the bundle to use, the data, the run date and the ranges. */
public record ScoringConfig(String preparedDir, String outputDir, ConfigKeys.OutputFormat format, String registry,
                            String modelName, String modelVersion, String runDate, List<String> features,
                            Long origin, Long backtestFrom, Long backtestTo, int backtestStride,
                            List<Double> intervals, Long detectFrom, Long detectTo, double threshold,
                            ConfigKeys.UnseenSeries unseenSeries) implements Serializable {

    public ScoringConfig {
        features = List.copyOf(features);
        intervals = List.copyOf(intervals);
    }

    public boolean backtest() {
        return backtestFrom != null;
    }

    public static ScoringConfig from(Config c) {
        PrepareConfig p = PrepareConfig.from(c);
        TrainConfig t = TrainConfig.from(c);
        TimestampParser tp = TimestampParser.of("auto", p.input().zone());
        String runDate = c.get(ConfigKeys.RUN_DATE);
        if (runDate == null) {
            runDate = LocalDate.now(ZoneOffset.UTC).toString();
        }
        LocalDate day;
        try {
            day = LocalDate.parse(runDate);
        } catch (DateTimeParseException e) {
            throw new ConfigException("run.date", "expected yyyy-MM-dd, found '" + runDate + "'");
        }
        // A run for a given date forecasts from the end of that date (a backfill for an old date sees only the data
        // up to it); without a run date or origin, from the end of each series.
        Long origin = time(tp, c, ConfigKeys.FORECAST_ORIGIN);
        if (origin == null && c.isSet(ConfigKeys.RUN_DATE)) {
            origin = day.plusDays(1).atStartOfDay(p.input().zone()).toInstant().toEpochMilli() - 1;
        }
        List<Double> intervals = new ArrayList<>();
        for (String s : c.get(ConfigKeys.FORECAST_INTERVALS)) {
            double v;
            try {
                v = Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new ConfigException("forecast.intervals", "cannot read '" + s + "' as a probability");
            }
            if (!(v > 0 && v < 1)) {
                throw new ConfigException("forecast.intervals", "probabilities must be in (0, 1), found " + s);
            }
            intervals.add(v);
        }
        Long from = time(tp, c, ConfigKeys.FORECAST_FROM);
        Long to = time(tp, c, ConfigKeys.FORECAST_TO);
        if ((from == null) != (to == null)) {
            throw new ConfigException(from == null ? "forecast.from" : "forecast.to",
                    "backtest mode needs both forecast.from and forecast.to");
        }
        if (from != null && to < from) {
            throw new ConfigException("forecast.to", "must not be before forecast.from");
        }
        if (from != null && c.isSet(ConfigKeys.FORECAST_ORIGIN)) {
            throw new ConfigException("forecast.origin", "set either forecast.origin or the backtest range");
        }
        double threshold = c.isSet(ConfigKeys.DETECT_FALSE_ALARM_RATE)
                ? 1.0 - c.get(ConfigKeys.DETECT_FALSE_ALARM_RATE) : c.get(ConfigKeys.DETECT_THRESHOLD);
        if (c.isSet(ConfigKeys.DETECT_FALSE_ALARM_RATE) && c.isSet(ConfigKeys.DETECT_THRESHOLD)) {
            throw new ConfigException("detect.falseAlarmRate", "set either detect.threshold or detect.falseAlarmRate");
        }
        return new ScoringConfig(p.outputDir(), c.get(ConfigKeys.OUTPUT_DIR), c.get(ConfigKeys.OUTPUT_FORMAT),
                t.registry(), t.name(), c.get(ConfigKeys.MODEL_VERSION), runDate, p.input().valueColumns(),
                from == null ? origin : null, from, to, c.get(ConfigKeys.FORECAST_STRIDE), intervals,
                time(tp, c, ConfigKeys.DETECT_FROM), time(tp, c, ConfigKeys.DETECT_TO), threshold,
                c.get(ConfigKeys.DETECT_UNSEEN_SERIES));
    }

    private static Long time(TimestampParser tp, Config c, ConfigKey<String> key) {
        String v = c.get(key);
        if (v == null) {
            return null;
        }
        long t = tp.parse(v);
        if (t == TimestampParser.INVALID) {
            throw new ConfigException(key.name(), "cannot read '" + v + "' as a timestamp");
        }
        return t;
    }

    /** Interval column suffix: 0.8 -> "80", 0.95 -> "95", 0.975 -> "97_5". */
    public static String suffix(double p) {
        String s = java.math.BigDecimal.valueOf(p * 100).stripTrailingZeros().toPlainString();
        return s.replace('.', '_');
    }
}
