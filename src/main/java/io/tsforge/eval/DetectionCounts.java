package io.tsforge.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flags against labels, counted a series at a time and merged. A row is positive when it lies in a label window.
 * Plain counts compare row by row; point-adjusted counts (Xu et al., 2018) treat every row of a window as detected
 * once any of its rows is flagged, and leave false positives as they are. Time to detection is, for each detected
 * window, the time from its start to its first flagged row.
 */
public final class DetectionCounts implements Serializable {

    long rows;
    long tp;
    long fp;
    long fn;
    long tn;
    long adjustedTp;
    long adjustedFn;
    long windows;
    long windowsWithoutRows;
    long windowsDetected;
    final List<Long> delaysMillis = new ArrayList<>();
    final List<Integer> delaysSteps = new ArrayList<>();

    /** Counts one series: timestamps in increasing order, a flag per row, and the series' label windows. */
    public static DetectionCounts ofSeries(long[] ts, boolean[] flagged, List<Labels.Window> windows) {
        if (ts.length != flagged.length) {
            throw new IllegalArgumentException("timestamps and flags differ in length: " + ts.length + " vs "
                    + flagged.length);
        }
        for (int i = 1; i < ts.length; i++) {
            if (ts[i] <= ts[i - 1]) {
                throw new IllegalArgumentException("timestamps must increase, found " + ts[i - 1] + " then " + ts[i]);
            }
        }
        DetectionCounts c = new DetectionCounts();
        c.rows = ts.length;
        int[] window = new int[ts.length];
        java.util.Arrays.fill(window, -1);
        int w = 0;
        for (int i = 0; i < ts.length; i++) {
            while (w < windows.size() && windows.get(w).end() < ts[i]) {
                w++;
            }
            if (w < windows.size() && windows.get(w).contains(ts[i])) {
                window[i] = w;
            }
        }
        int[] first = new int[windows.size()];
        int[] firstFlag = new int[windows.size()];
        int[] size = new int[windows.size()];
        java.util.Arrays.fill(first, -1);
        java.util.Arrays.fill(firstFlag, -1);
        for (int i = 0; i < ts.length; i++) {
            int k = window[i];
            if (k >= 0) {
                size[k]++;
                if (first[k] < 0) {
                    first[k] = i;
                }
                if (flagged[i] && firstFlag[k] < 0) {
                    firstFlag[k] = i;
                }
                if (flagged[i]) {
                    c.tp++;
                } else {
                    c.fn++;
                }
            } else if (flagged[i]) {
                c.fp++;
            } else {
                c.tn++;
            }
        }
        c.windows = windows.size();
        for (int k = 0; k < windows.size(); k++) {
            if (size[k] == 0) {
                c.windowsWithoutRows++;
            } else if (firstFlag[k] >= 0) {
                c.windowsDetected++;
                c.adjustedTp += size[k];
                c.delaysMillis.add(ts[firstFlag[k]] - windows.get(k).start());
                c.delaysSteps.add(firstFlag[k] - first[k]);
            } else {
                c.adjustedFn += size[k];
            }
        }
        return c;
    }

    public DetectionCounts merge(DetectionCounts o) {
        rows += o.rows;
        tp += o.tp;
        fp += o.fp;
        fn += o.fn;
        tn += o.tn;
        adjustedTp += o.adjustedTp;
        adjustedFn += o.adjustedFn;
        windows += o.windows;
        windowsWithoutRows += o.windowsWithoutRows;
        windowsDetected += o.windowsDetected;
        delaysMillis.addAll(o.delaysMillis);
        delaysSteps.addAll(o.delaysSteps);
        return this;
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    private static double f1(double p, double r) {
        return Double.isNaN(p) || Double.isNaN(r) || p + r == 0 ? (p + r == 0 ? 0 : Double.NaN) : 2 * p * r / (p + r);
    }

    public double precision() {
        return ratio(tp, tp + fp);
    }

    public double recall() {
        return ratio(tp, tp + fn);
    }

    public double f1() {
        return f1(precision(), recall());
    }

    public double adjustedPrecision() {
        return ratio(adjustedTp, adjustedTp + fp);
    }

    public double adjustedRecall() {
        return ratio(adjustedTp, adjustedTp + adjustedFn);
    }

    public double adjustedF1() {
        return f1(adjustedPrecision(), adjustedRecall());
    }

    /** Share of label windows with rows that had at least one flagged row. */
    public double windowRecall() {
        return ratio(windowsDetected, windows - windowsWithoutRows);
    }

    public double meanDelayMillis() {
        return delaysMillis.isEmpty() ? Double.NaN
                : delaysMillis.stream().mapToLong(Long::longValue).average().orElse(Double.NaN);
    }

    public double medianDelayMillis() {
        if (delaysMillis.isEmpty()) {
            return Double.NaN;
        }
        long[] d = delaysMillis.stream().mapToLong(Long::longValue).sorted().toArray();
        int n = d.length;
        return n % 2 == 1 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2.0;
    }

    public double meanDelaySteps() {
        return delaysSteps.isEmpty() ? Double.NaN
                : delaysSteps.stream().mapToInt(Integer::intValue).average().orElse(Double.NaN);
    }

    public long tp() {
        return tp;
    }

    public long fp() {
        return fp;
    }

    public long fn() {
        return fn;
    }

    public long tn() {
        return tn;
    }

    public long windowsDetected() {
        return windowsDetected;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", rows);
        m.put("tp", tp);
        m.put("fp", fp);
        m.put("fn", fn);
        m.put("tn", tn);
        m.put("precision", precision());
        m.put("recall", recall());
        m.put("f1", f1());
        m.put("pa_tp", adjustedTp);
        m.put("pa_fn", adjustedFn);
        m.put("pa_precision", adjustedPrecision());
        m.put("pa_recall", adjustedRecall());
        m.put("pa_f1", adjustedF1());
        m.put("windows", windows);
        m.put("windows_without_rows", windowsWithoutRows);
        m.put("windows_detected", windowsDetected);
        m.put("window_recall", windowRecall());
        m.put("mean_detection_delay_seconds", meanDelayMillis() / 1000);
        m.put("median_detection_delay_seconds", medianDelayMillis() / 1000);
        m.put("mean_detection_delay_steps", meanDelaySteps());
        return m;
    }
}
