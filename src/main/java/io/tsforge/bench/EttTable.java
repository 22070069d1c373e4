package io.tsforge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The table {@code jobs/bench-ett.sh} prints: from {@code evaluate}'s {@code metrics.json} (normalized MSE/MAE of the
 * model, repeat-last-value and seasonal naive over the same backtest rows) and the model bundle (configuration, best
 * epoch, validation MSE), next to the published univariate ETTh1 numbers of {@code ../shared/BENCHMARKS.md} (copied
 * here as reference figures; they are other people's results, not ours) and issue 6's targets.
 * <pre>java -cp target/tsforge.jar io.tsforge.bench.EttTable OUT RUN_DATE HORIZON</pre>
 */
public final class EttTable {

    private EttTable() {
    }

    /** Published univariate ETTh1 MSE / MAE by horizon (../shared/BENCHMARKS.md), model (lookback) -> "mse / mae". */
    static final Map<Integer, Map<String, String>> PUBLISHED = new LinkedHashMap<>();

    /** Issue 6's MSE targets by horizon (at most 0.9 x repeat-last-value, and below the best published row). */
    static final Map<Integer, Double> TARGET = Map.of(24, 0.031, 96, 0.053, 192, 0.9 * 0.0920, 336, 0.071,
            720, 0.080);

    static {
        PUBLISHED.put(24, Map.of("Informer", ".098 / .247", "LSTMa", ".114 / .272", "DeepAR", ".107 / .280",
                "ARIMA", ".108 / .284"));
        put(96, ".053 / .177", ".056 / .180", ".055 / .179", ".059 / .189", ".055 / .181", ".079 / .215");
        put(192, ".069 / .204", ".071 / .204", ".071 / .205", ".074 / .215", ".065 / .200", ".104 / .245");
        put(336, ".081 / .226", ".098 / .244", ".081 / .225", ".076 / .220", ".071 / .212", ".119 / .270");
        put(720, ".080 / .226", ".119 / .274", ".087 / .232", ".087 / .236", ".083 / .229", ".142 / .299");
    }

    private static void put(int h, String nlinear, String dlinear, String patch42, String patch64, String wpmixer,
                            String fedformer) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("NLinear (336)", nlinear);
        m.put("DLinear (336)", dlinear);
        m.put("PatchTST/42 (336)", patch42);
        m.put("PatchTST/64 (512)", patch64);
        m.put("WPMixer (512)", wpmixer);
        m.put("FEDformer-f (96)", fedformer);
        PUBLISHED.put(h, m);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: EttTable OUT RUN_DATE HORIZON");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        int horizon = Integer.parseInt(args[2]);
        ObjectMapper json = new ObjectMapper();
        Path metricsFile = out.resolve("evaluation/run_date=" + args[1] + "/metrics.json");
        JsonNode m = json.readTree(metricsFile.toFile());
        JsonNode f = m.path("forecast");
        Path home = out.resolve("models/forecaster");
        String version = Files.readString(home.resolve("latest")).trim();
        Path bundle = home.resolve(version);
        JsonNode cfg = json.readTree(bundle.resolve("config.json").toFile());
        JsonNode bm = json.readTree(bundle.resolve("metrics.json").toFile());
        JsonNode rows = m.path("forecast_rows");
        System.out.printf(Locale.ROOT, "ETTh1 univariate (OT), horizon %d, Informer protocol: %d test origins, %d "
                        + "rows scored (normalized scale, train-range z-score)%n", horizon, rows.path("origins").asLong(),
                rows.path("rows_scored").asLong());
        String training = "ridge".equals(bm.path("solver").asText())
                ? String.format(Locale.ROOT, "least squares (train.solver=ridge), penalty %s chosen by validation loss "
                        + "among %d", bm.path("lambda").asText(), bm.path("epochs").size())
                : String.format(Locale.ROOT, "%s, minibatch %s, Adam %s (%s x%s per epoch), best epoch %d of %d",
                        "weight init " + cfg.path("model.weightInit").asText(),
                        cfg.path("train.batchSizePerWorker").asText(), cfg.path("train.learningRate").asText(),
                        cfg.path("train.lrSchedule").asText(), cfg.path("train.lrDecay").asText(),
                        bm.path("bestEpoch").asInt(), bm.path("epochs").size());
        System.out.printf(Locale.ROOT, "model: %s, lookback %s, %s, validation MSE %.5f (repeat-last-value %.4f); "
                        + "bundle %s%n", cfg.path("model.type").asText(), cfg.path("window.lookback").asText(), training,
                bm.path("validation").path("mse").asDouble(), bm.path("validation").path("naiveMse").asDouble(),
                bundle);
        System.out.println();
        System.out.println("| forecaster | MSE | MAE |");
        System.out.println("|---|---|---|");
        double model = Double.NaN;
        double last = Double.NaN;
        for (String name : new String[]{"model", "last_value", "seasonal_naive", "linear_ar"}) {
            JsonNode o = f.path(name).path("overall");
            if (o.isMissingNode()) {
                continue;
            }
            double mse = o.path("mse_norm").asDouble();
            if (name.equals("model")) {
                model = mse;
            } else if (name.equals("last_value")) {
                last = mse;
            }
            System.out.printf(Locale.ROOT, "| %s | %.5f | %.4f |%n", name.equals("model") ? "ours ("
                    + cfg.path("model.type").asText() + ")" : name.replace('_', ' '), mse, o.path("mae_norm").asDouble());
        }
        Map<String, String> pub = PUBLISHED.getOrDefault(horizon, Map.of());
        pub.forEach((k, v) -> System.out.printf(Locale.ROOT, "| published: %s | %s |%n", k, v.replace(" / ", " | ")));
        System.out.println();
        System.out.printf(Locale.ROOT, "ours / repeat-last-value: %.3f (target <= 0.900)%n", model / last);
        Double target = TARGET.get(horizon);
        if (target != null) {
            System.out.printf(Locale.ROOT, "issue 6 target MSE < %.4f: %s (%.5f)%n", target,
                    model < target ? "met" : "MISSED", model);
        }
    }
}
