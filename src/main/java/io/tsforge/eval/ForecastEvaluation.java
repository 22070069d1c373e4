package io.tsforge.eval;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Error accumulators for several forecasters (the model and its baselines) over the same rows: overall, per horizon
 * step and per series. Built a partition at a time and merged; merged halves equal the whole.
 */
public final class ForecastEvaluation implements Serializable {

    /** One forecaster's errors, overall and broken down. */
    public static final class Breakdown implements Serializable {
        final ErrorAccumulator overall = new ErrorAccumulator();
        final TreeMap<Integer, ErrorAccumulator> perStep = new TreeMap<>();
        final TreeMap<String, ErrorAccumulator> perSeries = new TreeMap<>();

        public ErrorAccumulator overall() {
            return overall;
        }

        public Map<Integer, ErrorAccumulator> perStep() {
            return perStep;
        }

        public Map<String, ErrorAccumulator> perSeries() {
            return perSeries;
        }

        void merge(Breakdown o) {
            overall.merge(o.overall);
            o.perStep.forEach((k, v) -> perStep.computeIfAbsent(k, x -> new ErrorAccumulator()).merge(v));
            o.perSeries.forEach((k, v) -> perSeries.computeIfAbsent(k, x -> new ErrorAccumulator()).merge(v));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Breakdown b && overall.equals(b.overall) && perStep.equals(b.perStep)
                    && perSeries.equals(b.perSeries);
        }

        @Override
        public int hashCode() {
            return overall.hashCode();
        }
    }

    private final LinkedHashMap<String, Breakdown> forecasters = new LinkedHashMap<>();
    private final TreeMap<String, long[]> coverage = new TreeMap<>();

    /** Counts whether an actual fell inside the model's central interval named {@code interval} (e.g. "80"). */
    public void addCoverage(String interval, boolean inside) {
        long[] c = coverage.computeIfAbsent(interval, k -> new long[2]);
        c[0] += inside ? 1 : 0;
        c[1]++;
    }

    /** Per interval: the share of actuals inside it (NaN with no rows). */
    public Map<String, Double> coverage() {
        Map<String, Double> m = new TreeMap<>();
        coverage.forEach((k, v) -> m.put(k, v[1] == 0 ? Double.NaN : (double) v[0] / v[1]));
        return m;
    }

    /** Adds one forecast of {@code forecaster} for {@code series} at horizon {@code step} (1-based). */
    public void add(String forecaster, String series, int step, double actual, double forecast, double actualNorm,
                    double forecastNorm, double maseScale) {
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1, found " + step);
        }
        Breakdown b = forecasters.computeIfAbsent(forecaster, k -> new Breakdown());
        b.overall.add(actual, forecast, actualNorm, forecastNorm, maseScale);
        b.perStep.computeIfAbsent(step, k -> new ErrorAccumulator())
                .add(actual, forecast, actualNorm, forecastNorm, maseScale);
        b.perSeries.computeIfAbsent(series, k -> new ErrorAccumulator())
                .add(actual, forecast, actualNorm, forecastNorm, maseScale);
    }

    public ForecastEvaluation merge(ForecastEvaluation o) {
        o.forecasters.forEach((k, v) -> forecasters.computeIfAbsent(k, x -> new Breakdown()).merge(v));
        o.coverage.forEach((k, v) -> {
            long[] c = coverage.computeIfAbsent(k, x -> new long[2]);
            c[0] += v[0];
            c[1] += v[1];
        });
        return this;
    }

    /** Forecasters in the order first added (the model first when it is added first). */
    public Map<String, Breakdown> forecasters() {
        return forecasters;
    }

    public Breakdown get(String forecaster) {
        Breakdown b = forecasters.get(forecaster);
        if (b == null) {
            throw new IllegalArgumentException("no forecaster '" + forecaster + "'; have " + forecasters.keySet());
        }
        return b;
    }

    /** JSON-ready: per forecaster, overall, per_step and per_series metric maps. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        forecasters.forEach((name, b) -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("overall", b.overall.toMap());
            Map<String, Object> steps = new TreeMap<>((x, y) -> Integer.compare(Integer.parseInt(x),
                    Integer.parseInt(y)));
            b.perStep.forEach((k, v) -> steps.put(Integer.toString(k), v.toMap()));
            f.put("per_step", steps);
            Map<String, Object> series = new TreeMap<>();
            b.perSeries.forEach((k, v) -> series.put(k, v.toMap()));
            f.put("per_series", series);
            m.put(name, f);
        });
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ForecastEvaluation e && forecasters.equals(e.forecasters);
    }

    @Override
    public int hashCode() {
        return forecasters.keySet().hashCode();
    }
}
