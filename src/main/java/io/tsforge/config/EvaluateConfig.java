package io.tsforge.config;

import java.io.Serializable;
import java.time.ZoneId;

/**
 * What {@code evaluate} needs: the prepared data, the scoring outputs to judge (explicit paths must exist; defaults
 * may be absent, and that part is then skipped), labels, the baselines' settings, the model whose training history
 * the report charts, and where to write.
 */
public record EvaluateConfig(String preparedDir, String target, ZoneId zone, String forecasts,
                             boolean forecastsExplicit, String anomalies, boolean anomaliesExplicit, String labels,
                             int season, int lags, int reportSeries, String output, String registry, String modelName,
                             String modelVersion, double threshold) implements Serializable {

    public EvaluateConfig {
        if (season < 1) {
            throw new ConfigException("evaluate.season", "must be >= 1, found " + season);
        }
        if (lags < 1) {
            throw new ConfigException("evaluate.lags", "must be >= 1, found " + lags);
        }
        if (reportSeries < 1) {
            throw new ConfigException("evaluate.reportSeries", "must be >= 1, found " + reportSeries);
        }
        if (labels != null && !(labels.endsWith(".csv") || labels.endsWith(".json"))) {
            throw new ConfigException("evaluate.labels", "expected a .csv or .json file, found '" + labels + "'");
        }
    }

    public static EvaluateConfig from(Config c) {
        PrepareConfig p = PrepareConfig.from(c);
        ScoringConfig s = ScoringConfig.from(c);
        String out = c.get(ConfigKeys.OUTPUT_DIR);
        String date = "run_date=" + s.runDate();
        String forecasts = c.get(ConfigKeys.EVALUATE_FORECASTS);
        String anomalies = c.get(ConfigKeys.EVALUATE_ANOMALIES);
        String output = c.get(ConfigKeys.EVALUATE_OUTPUT);
        return new EvaluateConfig(p.outputDir(), p.input().valueColumns().get(0), p.input().zone(),
                forecasts == null ? out + "/forecasts/" + date : forecasts, forecasts != null,
                anomalies == null ? out + "/anomalies/" + date : anomalies, anomalies != null,
                c.get(ConfigKeys.EVALUATE_LABELS), c.get(ConfigKeys.EVALUATE_SEASON), c.get(ConfigKeys.EVALUATE_LAGS),
                c.get(ConfigKeys.EVALUATE_REPORT_SERIES), output == null ? out + "/evaluation/" + date : output,
                s.registry(), s.modelName(), s.modelVersion(), s.threshold());
    }
}
