package io.tsforge.report;

import io.tsforge.eval.Labels;

import java.util.List;

/** What the report charts, gathered on the driver. */
public final class ChartData {

    private ChartData() {
    }

    /**
     * Training and validation loss per epoch, from the model bundle's {@code metrics.json}; for a model solved by
     * least squares ({@code train.solver=ridge}) per penalty instead: {@code lambdas} then holds each entry's penalty
     * (null otherwise).
     */
    public record Loss(String model, int[] epochs, double[] train, double[] validation, int bestEpoch,
                       double[] lambdas) {

        public Loss(String model, int[] epochs, double[] train, double[] validation, int bestEpoch) {
            this(model, epochs, train, validation, bestEpoch, null);
        }
    }

    /** One origin of one series: recent actuals, the forecast with one interval, and the actuals it forecast. */
    public record Forecast(String series, long[] historyTs, double[] history, long[] targetTs, double[] forecast,
                           double[] lower, double[] upper, String interval, double[] actual) {
    }

    /** Anomaly scores of one series over time, with the flags, the labels and the threshold. */
    public record Anomalies(String series, long[] ts, double[] value, double[] score, boolean[] flagged,
                            List<Labels.Window> labels, double threshold) {
    }
}
