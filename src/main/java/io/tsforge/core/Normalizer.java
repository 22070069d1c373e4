package io.tsforge.core;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fitted, immutable per-series normalization. A series without statistics of its own (no step in the training range,
 * or not seen at fit time) uses the {@code global} scale, fitted on all series' training steps merged.
 */
public record Normalizer(Normalization method, List<String> features, Map<String, Normalization.Scale> perSeries,
                         Normalization.Scale global) implements Serializable {

    public Normalizer {
        features = List.copyOf(features);
        perSeries = new TreeMap<>(perSeries);
    }

    /** Fits from per-series training statistics; series whose statistics are empty fall back to the global scale. */
    public static Normalizer fit(Normalization method, List<String> features, Map<String, StatsAccumulator> stats) {
        StatsAccumulator all = new StatsAccumulator(features.size(), method.needsValues());
        Map<String, Normalization.Scale> scales = new TreeMap<>();
        for (Map.Entry<String, StatsAccumulator> e : new TreeMap<>(stats).entrySet()) {
            Normalization.Scale s = method.fit(e.getValue());
            if (s != null) {
                scales.put(e.getKey(), s);
            }
            all.merge(e.getValue());
        }
        return new Normalizer(method, features, scales, method.fit(all));
    }

    public boolean hasOwnScale(String seriesId) {
        return perSeries.containsKey(seriesId);
    }

    /** The scale for a series, or the global one; throws when neither exists (no training data at all). */
    public Normalization.Scale scaleFor(String seriesId) {
        Normalization.Scale s = perSeries.get(seriesId);
        if (s == null) {
            s = global;
        }
        if (s == null) {
            throw new IllegalStateException("no normalization statistics for series '" + seriesId
                    + "' and no global statistics: the training range holds no data");
        }
        return s;
    }
}
