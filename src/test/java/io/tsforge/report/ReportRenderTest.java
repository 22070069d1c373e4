package io.tsforge.report;

import io.tsforge.eval.ForecastEvaluation;
import io.tsforge.eval.Labels;
import io.tsforge.io.Storage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's charts are real PNGs, and the page renders in headless Chromium (skipped when it is absent). */
class ReportRenderTest {

    @TempDir
    Path tmp;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    Path writeReport() {
        ForecastEvaluation e = new ForecastEvaluation();
        e.add("model", "s", 1, 10, 11, 0, 0.1, 1);
        e.add("last_value", "s", 1, 10, 12, 0, 0.2, 1);
        long h = 3_600_000L;
        long[] hist = {0, h, 2 * h};
        long[] target = {3 * h, 4 * h};
        ChartData.Forecast f = new ChartData.Forecast("s", hist, new double[]{1, 2, 3}, target,
                new double[]{3.5, 4}, new double[]{3, 3.2}, new double[]{4, 4.8}, "95", new double[]{3.6, 3.9});
        long[] ts = new long[48];
        double[] score = new double[48];
        boolean[] flags = new boolean[48];
        for (int i = 0; i < 48; i++) {
            ts[i] = i * h;
            score[i] = (i * 37 % 11) / 11.0;
        }
        score[20] = 0.9995;
        flags[20] = true;
        ChartData.Anomalies a = new ChartData.Anomalies("s", ts, new double[48], score, flags,
                List.of(new Labels.Window(19 * h, 22 * h)), 0.999);
        ChartData.Loss loss = new ChartData.Loss("m/v1", new int[]{1, 2, 3}, new double[]{0.9, 0.5, 0.4},
                new double[]{1.0, 0.6, 0.55}, 3);
        Map<String, Object> metrics = new LinkedHashMap<>(Map.of("target", "v", "prepared", "p"));
        Map<String, Map<String, Object>> detection = new LinkedHashMap<>();
        detection.put("model", new LinkedHashMap<>(Map.of("precision", 1.0, "recall", 0.25, "f1", 0.4,
                "windows", 1L, "windows_without_rows", 0L, "windows_detected", 1L, "nab_standard", 99.0)));
        EvaluationReport.Written w = EvaluationReport.write(Storage.local(), tmp.resolve("eval").toString(), metrics,
                e, detection, loss, List.of(f), List.of(a));
        assertEquals(3, w.charts());
        return Path.of(w.html());
    }

    @Test
    void aLeastSquaresModelsLossIsChartedPerPenaltyOnALogAxis() throws Exception {
        ChartData.Loss ridge = new ChartData.Loss("m/v2", new int[]{1, 2, 3}, new double[]{0.30, 0.31, 0.40},
                new double[]{0.20, 0.18, 0.25}, 2, new double[]{0.01, 1, 100});
        org.knowm.xchart.XYChart c = EvaluationReport.lossChart(ridge);
        assertTrue(c.getTitle().contains("penalty") && c.getTitle().contains("lambda 1.0"), c.getTitle());
        assertTrue(c.getStyler().isXAxisLogarithmic());
        assertTrue(java.util.Arrays.equals(new double[]{0.01, 1, 100}, c.getSeriesMap().get("validation").getXData()));
        org.knowm.xchart.XYChart sgd = EvaluationReport.lossChart(new ChartData.Loss("m/v1", new int[]{1, 2},
                new double[]{0.9, 0.5}, new double[]{1.0, 0.6}, 2));
        assertTrue(sgd.getTitle().contains("best epoch 2") && !sgd.getStyler().isXAxisLogarithmic(), sgd.getTitle());
        BufferedImage img = org.knowm.xchart.BitmapEncoder.getBufferedImage(c);
        assertTrue(distinctColours(img) > 20, "the ridge loss chart looks blank");
    }

    @Test
    void chartsAreDecodablePngsEmbeddedInTheHtml() throws Exception {
        Path html = writeReport();
        String page = Files.readString(html);
        assertEquals(3, page.split("data:image/png;base64,", -1).length - 1);
        for (String name : List.of("loss.png", "forecast-1.png", "anomalies-1.png")) {
            BufferedImage img = ImageIO.read(html.getParent().resolve("charts/" + name).toFile());
            assertNotNull(img, name);
            assertTrue(distinctColours(img) > 20, name + " looks blank");
        }
        assertTrue(page.contains("<th>forecaster</th>") && page.contains("<td>last_value</td>"), page);
    }

    @Test
    void rendersInHeadlessChromium() throws Exception {
        Path html = writeReport();
        Path shot = tmp.resolve("shot.png");
        Process p = new ProcessBuilder("jobs/check-report.sh", html.toString(), shot.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "chromium did not finish");
        Assumptions.assumeFalse(p.exitValue() == 3, "chromium is not installed: " + out);
        assertEquals(0, p.exitValue(), out);
        BufferedImage img = ImageIO.read(shot.toFile());
        assertNotNull(img);
        assertEquals(1200, img.getWidth());
        // the tables and three charts paint far more than a blank or error page does
        assertTrue(distinctColours(img) > 200, "screenshot has only " + distinctColours(img) + " colours");
    }

    static int distinctColours(BufferedImage img) {
        Set<Integer> c = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                c.add(img.getRGB(x, y));
            }
        }
        return c.size();
    }
}
