package io.tsforge.report;

import io.tsforge.eval.ErrorAccumulator;
import io.tsforge.eval.ForecastEvaluation;
import io.tsforge.eval.Labels;
import io.tsforge.io.Storage;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code metrics.json}, {@code metrics.md} and a self-contained {@code report.html} (PNG charts embedded as
 * base64, and also written beside it under {@code charts/}). Every metric table lists the model first and its
 * baselines under it.
 */
public final class EvaluationReport {

    /** Where the files went. */
    public record Written(String json, String markdown, String html, int charts) {
    }

    static final Color MODEL = new Color(31, 119, 180);
    static final Color ACTUAL = new Color(40, 40, 40);
    static final Color BAND = new Color(31, 119, 180, 60);
    static final Color LABEL = new Color(255, 160, 0, 70);
    static final Color FLAG = new Color(214, 39, 40);

    private EvaluationReport() {
    }

    public static Written write(Storage storage, String dir, Map<String, Object> metrics, ForecastEvaluation forecast,
                                Map<String, Map<String, Object>> detection, ChartData.Loss loss,
                                List<ChartData.Forecast> forecasts, List<ChartData.Anomalies> anomalies) {
        Map<String, Object> json = new LinkedHashMap<>(metrics);
        if (forecast != null) {
            json.put("forecast", forecast.toMap());
            json.put("interval_coverage", forecast.coverage());
        }
        if (detection != null) {
            json.put("anomaly", detection);
        }
        String md = markdown(forecast, detection);
        storage.writeJson(dir + "/metrics.json", json);
        storage.writeBytes(dir + "/metrics.md", md.getBytes(StandardCharsets.UTF_8));

        Map<String, byte[]> charts = new LinkedHashMap<>();
        if (loss != null && loss.epochs().length > 0) {
            charts.put("loss.png", png(lossChart(loss)));
        }
        for (int i = 0; i < forecasts.size(); i++) {
            charts.put("forecast-" + (i + 1) + ".png", png(forecastChart(forecasts.get(i))));
        }
        for (int i = 0; i < anomalies.size(); i++) {
            charts.put("anomalies-" + (i + 1) + ".png", png(anomalyChart(anomalies.get(i))));
        }
        charts.forEach((name, bytes) -> storage.writeBytes(dir + "/charts/" + name, bytes));
        String html = html(metrics, md, charts, loss, forecasts, anomalies);
        storage.writeBytes(dir + "/report.html", html.getBytes(StandardCharsets.UTF_8));
        return new Written(dir + "/metrics.json", dir + "/metrics.md", dir + "/report.html", charts.size());
    }

    // -------------------------------------------------------------------------------------------------- markdown

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a != 0 && (a < 0.01 || a >= 1e5) ? "%.3e" : "%.4f", v);
    }

    static String num(Object v) {
        if (v instanceof Double d) {
            return num(d.doubleValue());
        }
        return v == null ? "—" : v.toString();
    }

    /** The markdown tables: forecast overall, per step and per series, interval coverage, detection. */
    public static String markdown(ForecastEvaluation f, Map<String, Map<String, Object>> detection) {
        StringBuilder sb = new StringBuilder();
        if (f != null && !f.forecasters().isEmpty()) {
            sb.append("## Forecast accuracy (model and baselines on the same origins and rows)\n\n");
            sb.append("| forecaster | rows | MAE | RMSE | sMAPE % | MASE | MSE (normalized) | MAE (normalized) |\n");
            sb.append("|---|---|---|---|---|---|---|---|\n");
            f.forecasters().forEach((name, b) -> {
                ErrorAccumulator a = b.overall();
                sb.append("| ").append(name).append(" | ").append(a.count()).append(" | ").append(num(a.mae()))
                        .append(" | ").append(num(a.rmse())).append(" | ").append(num(a.smape())).append(" | ")
                        .append(num(a.mase())).append(" | ").append(num(a.mseNormalized())).append(" | ")
                        .append(num(a.maeNormalized())).append(" |\n");
            });
            List<String> names = new ArrayList<>(f.forecasters().keySet());
            sb.append("\n### Per horizon step: MAE | MSE (normalized)\n\n| step |");
            names.forEach(n -> sb.append(' ').append(n).append(" |"));
            sb.append("\n|---|");
            names.forEach(n -> sb.append("---|"));
            sb.append('\n');
            for (Integer step : f.forecasters().get(names.get(0)).perStep().keySet()) {
                sb.append("| ").append(step).append(" |");
                for (String n : names) {
                    ErrorAccumulator a = f.forecasters().get(n).perStep().get(step);
                    sb.append(' ').append(a == null ? "—" : num(a.mae()) + " \\| " + num(a.mseNormalized()))
                            .append(" |");
                }
                sb.append('\n');
            }
            sb.append("\n### Per series: MAE | MASE\n\n| series |");
            names.forEach(n -> sb.append(' ').append(n).append(" |"));
            sb.append("\n|---|");
            names.forEach(n -> sb.append("---|"));
            sb.append('\n');
            for (String s : f.forecasters().get(names.get(0)).perSeries().keySet()) {
                sb.append("| ").append(s).append(" |");
                for (String n : names) {
                    ErrorAccumulator a = f.forecasters().get(n).perSeries().get(s);
                    sb.append(' ').append(a == null ? "—" : num(a.mae()) + " \\| " + num(a.mase())).append(" |");
                }
                sb.append('\n');
            }
            if (!f.coverage().isEmpty()) {
                sb.append("\n### Prediction interval coverage (model)\n\n| interval | nominal | actuals inside |\n"
                        + "|---|---|---|\n");
                f.coverage().forEach((k, v) -> sb.append("| ").append(k).append(" % | ")
                        .append(k.replace('_', '.')).append(" % | ").append(num(100 * v)).append(" % |\n"));
            }
            sb.append('\n');
        }
        if (detection != null) {
            sb.append("## Anomaly detection (model and baseline detectors on the same rows)\n\n");
            sb.append("| detector | precision | recall | F1 | PA precision | PA recall | PA F1 | windows detected "
                    + "| mean delay (steps) | NAB standard | NAB low FP | NAB low FN |\n");
            sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            detection.forEach((name, m) -> sb.append("| ").append(name).append(" | ").append(num(m.get("precision")))
                    .append(" | ").append(num(m.get("recall"))).append(" | ").append(num(m.get("f1"))).append(" | ")
                    .append(num(m.get("pa_precision"))).append(" | ").append(num(m.get("pa_recall"))).append(" | ")
                    .append(num(m.get("pa_f1"))).append(" | ").append(m.get("windows_detected")).append(" / ")
                    .append(((Number) m.get("windows")).longValue() - ((Number) m.get("windows_without_rows"))
                            .longValue()).append(" | ").append(num(m.get("mean_detection_delay_steps")))
                    .append(" | ").append(num(m.get("nab_standard"))).append(" | ").append(num(m.get("nab_low_fp")))
                    .append(" | ").append(num(m.get("nab_low_fn"))).append(" |\n"));
            sb.append("\nPlain counts compare rows; point-adjusted (PA) counts a whole label window as detected when "
                    + "any of its rows is flagged. Flags: the model's is_anomaly, seasonal_residual at the detection "
                    + "threshold, streaming_novelty at its own alarm level ("
                    + io.tsforge.eval.StreamingNoveltyDetector.Settings.defaults().fireLevel()
                    + "; fitted on the training rows before the first scored row, then online); NAB: the best corpus-wide threshold per profile.\n");
        }
        return sb.toString();
    }

    // ----------------------------------------------------------------------------------------------------- charts

    static byte[] png(XYChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart '" + chart.getTitle() + "'", e);
        }
    }

    static XYChart base(String title, String y, int height) {
        XYChart c = new XYChartBuilder().width(1000).height(height).title(title).xAxisTitle("").yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        c.getStyler().setMarkerSize(6);
        c.getStyler().setDatePattern("MM-dd HH:mm");
        return c;
    }

    static List<Date> dates(long[] ts) {
        List<Date> d = new ArrayList<>(ts.length);
        for (long t : ts) {
            d.add(new Date(t));
        }
        return d;
    }

    static List<Double> values(double[] v) {
        List<Double> d = new ArrayList<>(v.length);
        for (double x : v) {
            d.add(x);
        }
        return d;
    }

    static XYSeries line(XYChart c, String name, List<?> x, List<Double> y, Color color) {
        XYSeries s = c.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        return s;
    }

    static XYChart lossChart(ChartData.Loss l) {
        boolean ridge = l.lambdas() != null;
        String title = ridge
                ? "Training and validation loss per penalty (least squares; chosen: lambda "
                        + l.lambdas()[l.bestEpoch() - 1] + ")"
                : "Training and validation loss per epoch (best epoch " + l.bestEpoch() + ")";
        XYChart c = new XYChartBuilder().width(1000).height(360).title(title)
                .xAxisTitle(ridge ? "penalty lambda (log scale)" : "epoch").yAxisTitle("loss (MSE, normalized)")
                .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setXAxisLogarithmic(ridge);
        List<Double> e = new ArrayList<>();
        for (int i = 0; i < l.epochs().length; i++) {
            e.add(ridge ? l.lambdas()[i] : l.epochs()[i]);
        }
        Color orange = new Color(255, 127, 14);
        XYSeries t = c.addSeries("training", e, values(l.train()));
        t.setLineColor(orange);
        t.setMarkerColor(orange);
        t.setMarker(SeriesMarkers.CIRCLE);
        XYSeries v = c.addSeries("validation", e, values(l.validation()));
        v.setLineColor(MODEL);
        v.setMarkerColor(MODEL);
        v.setMarker(SeriesMarkers.CIRCLE);
        return c;
    }

    static XYChart forecastChart(ChartData.Forecast f) {
        XYChart c = base("Forecast against actual: " + f.series(), "value", 380);
        if (f.interval() != null) {
            List<Date> x = new ArrayList<>(dates(f.targetTs()));
            List<Double> y = new ArrayList<>(values(f.upper()));
            for (int i = f.targetTs().length - 1; i >= 0; i--) {
                x.add(new Date(f.targetTs()[i]));
                y.add(f.lower()[i]);
            }
            XYSeries band = c.addSeries(f.interval().replace('_', '.') + " % interval", x, y);
            band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            band.setFillColor(BAND);
            band.setLineColor(BAND);
            band.setMarker(SeriesMarkers.NONE);
        }
        line(c, "history", dates(f.historyTs()), values(f.history()), new Color(120, 120, 120));
        XYSeries a = line(c, "actual", dates(f.targetTs()), values(f.actual()), ACTUAL);
        a.setMarker(SeriesMarkers.CIRCLE);
        a.setMarkerColor(ACTUAL);
        XYSeries m = line(c, "forecast", dates(f.targetTs()), values(f.forecast()), MODEL);
        m.setLineStyle(new BasicStroke(2.5f));
        return c;
    }

    static XYChart anomalyChart(ChartData.Anomalies a) {
        XYChart c = base("Anomaly score over time: " + a.series() + " (threshold " + a.threshold() + ")",
                "anomaly score", 380);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(1.05);
        boolean first = true;
        for (Labels.Window w : a.labels()) {
            long end = Math.max(w.end(), w.start() + 1);
            XYSeries s = c.addSeries(first ? "label window" : "label window " + w.start(),
                    List.of(new Date(w.start()), new Date(w.start()), new Date(end), new Date(end)),
                    List.of(0.0, 1.05, 1.05, 0.0));
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            s.setFillColor(LABEL);
            s.setLineColor(new Color(255, 140, 0));
            s.setMarker(SeriesMarkers.NONE);
            s.setShowInLegend(first);
            first = false;
        }
        List<Date> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        List<Date> fx = new ArrayList<>();
        List<Double> fy = new ArrayList<>();
        for (int i = 0; i < a.ts().length; i++) {
            if (Double.isNaN(a.score()[i])) {
                continue;
            }
            x.add(new Date(a.ts()[i]));
            y.add(a.score()[i]);
            if (a.flagged()[i]) {
                fx.add(new Date(a.ts()[i]));
                fy.add(a.score()[i]);
            }
        }
        if (x.isEmpty()) {
            x.add(new Date(a.ts().length == 0 ? 0 : a.ts()[0]));
            y.add(0.0);
        }
        line(c, "anomaly score", x, y, MODEL);
        line(c, "threshold", List.of(x.get(0), x.get(x.size() - 1)), List.of(a.threshold(), a.threshold()),
                new Color(150, 150, 150)).setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT,
                BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f));
        if (!fx.isEmpty()) {
            XYSeries f = c.addSeries("flagged (" + fx.size() + ")", fx, fy);
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            f.setMarker(SeriesMarkers.CIRCLE);
            f.setMarkerColor(FLAG);
        }
        return c;
    }

    // ------------------------------------------------------------------------------------------------------- html

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Markdown tables (pipes, header separator rows) to HTML tables; headings to h2/h3; other lines to paragraphs. */
    static String tables(String md) {
        StringBuilder sb = new StringBuilder();
        boolean inTable = false;
        boolean header = false;
        for (String line : md.split("\n")) {
            if (line.startsWith("|")) {
                if (line.startsWith("|---")) {
                    continue;
                }
                if (!inTable) {
                    sb.append("<table>\n");
                    inTable = true;
                    header = true;
                }
                String[] cells = line.substring(1, line.length() - 1).split("(?<!\\\\)\\|");
                sb.append("<tr>");
                for (String cell : cells) {
                    String t = escape(cell.trim().replace("\\|", "|"));
                    sb.append(header ? "<th>" : "<td>").append(t).append(header ? "</th>" : "</td>");
                }
                sb.append("</tr>\n");
                header = false;
                continue;
            }
            if (inTable) {
                sb.append("</table>\n");
                inTable = false;
            }
            if (line.startsWith("### ")) {
                sb.append("<h3>").append(escape(line.substring(4))).append("</h3>\n");
            } else if (line.startsWith("## ")) {
                sb.append("<h2>").append(escape(line.substring(3))).append("</h2>\n");
            } else if (!line.isBlank()) {
                sb.append("<p>").append(escape(line)).append("</p>\n");
            }
        }
        if (inTable) {
            sb.append("</table>\n");
        }
        return sb.toString();
    }

    static String img(Map<String, byte[]> charts, String name, String alt) {
        byte[] b = charts.get(name);
        return b == null ? "" : "<img alt=\"" + escape(alt) + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(b) + "\">\n";
    }

    static String html(Map<String, Object> metrics, String md, Map<String, byte[]> charts, ChartData.Loss loss,
                       List<ChartData.Forecast> forecasts, List<ChartData.Anomalies> anomalies) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tsforge evaluation</title>\n")
                .append("<style>body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}"
                        + "table{border-collapse:collapse;margin:8px 0 18px}th,td{border:1px solid #ccc;"
                        + "padding:3px 8px;text-align:right;font-size:13px}th{background:#f0f0f0}"
                        + "td:first-child,th:first-child{text-align:left}img{display:block;margin:8px 0 20px;"
                        + "max-width:100%}code{background:#f4f4f4;padding:1px 4px}</style></head><body>\n");
        sb.append("<h1>tsforge evaluation</h1>\n<p>Target <code>").append(escape(String.valueOf(metrics.get("target"))))
                .append("</code>, prepared data <code>").append(escape(String.valueOf(metrics.get("prepared"))))
                .append("</code>");
        if (metrics.get("model") != null) {
            sb.append(", model <code>").append(escape(String.valueOf(metrics.get("model")))).append("</code>");
        }
        sb.append(".</p>\n");
        if (loss != null) {
            sb.append("<h2>Training</h2>\n").append(img(charts, "loss.png", "training and validation loss"));
        }
        sb.append(tables(md));
        if (!forecasts.isEmpty()) {
            sb.append("<h2>Forecasts against actuals</h2>\n<p>The last origin of each series with a full horizon of "
                    + "actuals; the band is the model's widest prediction interval.</p>\n");
            for (int i = 0; i < forecasts.size(); i++) {
                sb.append(img(charts, "forecast-" + (i + 1) + ".png", "forecast " + forecasts.get(i).series()));
            }
        }
        if (!anomalies.isEmpty()) {
            sb.append("<h2>Anomaly scores over time</h2>\n<p>Shaded: label windows; red: flagged rows; dashed: the "
                    + "detection threshold.</p>\n");
            for (int i = 0; i < anomalies.size(); i++) {
                sb.append(img(charts, "anomalies-" + (i + 1) + ".png", "anomalies " + anomalies.get(i).series()));
            }
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }
}
