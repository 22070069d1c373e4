package io.tsforge.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsforge.core.Normalization;
import io.tsforge.core.Normalizer;
import io.tsforge.core.StatsAccumulator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The normalization statistics as JSON: per series and feature the fitted centre and scale, plus the training-range
 * count, mean, population std, min and max they came from, and the global fallback.
 */
public final class NormalizerJson {

    public static final int FORMAT_VERSION = 1;

    private NormalizerJson() {
    }

    public static ObjectNode toJson(Normalizer n, Map<String, StatsAccumulator> stats) {
        ObjectNode root = Storage.JSON.createObjectNode();
        root.put("formatVersion", FORMAT_VERSION);
        root.put("method", n.method().name().toLowerCase(Locale.ROOT));
        ArrayNode feats = root.putArray("features");
        n.features().forEach(feats::add);
        ObjectNode series = root.putObject("series");
        for (Map.Entry<String, Normalization.Scale> e : n.perSeries().entrySet()) {
            series.set(e.getKey(), scale(n, e.getValue(), stats.get(e.getKey())));
        }
        if (n.global() != null) {
            StatsAccumulator all = null;
            for (StatsAccumulator s : new TreeMap<>(stats).values()) {
                all = all == null ? copy(s) : all.merge(s);
            }
            root.set("global", scale(n, n.global(), all));
        }
        return root;
    }

    private static StatsAccumulator copy(StatsAccumulator s) {
        return new StatsAccumulator(s.features(), s.keepsValues()).merge(s);
    }

    private static ObjectNode scale(Normalizer n, Normalization.Scale s, StatsAccumulator stats) {
        ObjectNode node = Storage.JSON.createObjectNode();
        for (int f = 0; f < n.features().size(); f++) {
            ObjectNode fn = node.putObject(n.features().get(f));
            fn.put("center", s.center()[f]);
            fn.put("scale", s.scale()[f]);
            fn.put("constant", s.constant()[f]);
            if (stats != null) {
                fn.put("count", stats.count());
                fn.put("mean", stats.mean(f));
                fn.put("std", stats.std(f));
                fn.put("min", stats.min(f));
                fn.put("max", stats.max(f));
            }
        }
        return node;
    }

    public static Normalizer fromJson(JsonNode root) {
        int version = root.path("formatVersion").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new IllegalArgumentException("normalization statistics: formatVersion " + version
                    + " is not supported (expected " + FORMAT_VERSION + ")");
        }
        Normalization method = Normalization.valueOf(root.path("method").asText().toUpperCase(Locale.ROOT));
        List<String> features = new ArrayList<>();
        root.path("features").forEach(f -> features.add(f.asText()));
        Map<String, Normalization.Scale> per = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.path("series").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            per.put(e.getKey(), readScale(features, e.getValue()));
        }
        Normalization.Scale global = root.has("global") ? readScale(features, root.get("global")) : null;
        return new Normalizer(method, features, per, global);
    }

    private static Normalization.Scale readScale(List<String> features, JsonNode node) {
        int n = features.size();
        double[] c = new double[n];
        double[] s = new double[n];
        boolean[] k = new boolean[n];
        for (int f = 0; f < n; f++) {
            JsonNode fn = node.get(features.get(f));
            if (fn == null) {
                throw new IllegalArgumentException("normalization statistics: feature '" + features.get(f)
                        + "' missing");
            }
            c[f] = fn.path("center").asDouble();
            s[f] = fn.path("scale").asDouble();
            k[f] = fn.path("constant").asBoolean();
        }
        return new Normalization.Scale(c, s, k);
    }
}
