package io.tsforge.core;

/**
 * Turns a window of a normalized segment into the flat arrays a network consumes, with the layout DL4J's recurrent
 * layers use ([features, time], "NCW"): inputs {@code x[f * lookback + t]}, a mask {@code mask[t]} (1 for a real step,
 * 0 for padding) and targets {@code y[k]} = feature 0 at {@code origin + 1 + k}.
 *
 * <p>A window with less history than the lookback is <em>right</em>-padded: its real steps come first and the padding
 * after them, masked out. A recurrent layer only looks backwards, so the padding cannot reach the last real step,
 * which the network's last-step head reads; with left padding DL4J 1.0.0-M2 leaks the padding into unmasked layers and
 * computes wrong gradients (measured, see docs).
 *
 * <p>For the per-step head used with truncated BPTT, {@link #stepTargets} gives every input step {@code t} the
 * {@code horizon} values that follow it: {@code ys[k * lookback + t]}.
 */
public final class WindowExamples {

    private WindowExamples() {
    }

    /** Fills {@code x} (features * lookback), {@code mask} (lookback) and {@code y} (horizon); returns the history. */
    public static int fill(float[][] segment, int origin, int history, int lookback, int horizon,
                           float[] x, float[] mask, float[] y) {
        if (origin + horizon >= segment[0].length) {
            throw new IllegalArgumentException("window origin " + origin + " has no " + horizon + " target steps in "
                    + "a segment of " + segment[0].length + " steps");
        }
        fillInputs(segment, origin, history, lookback, x, mask);
        for (int k = 0; k < horizon; k++) {
            y[k] = segment[0][origin + 1 + k];
        }
        return history;
    }

    /** Fills the inputs and mask only: for scoring, where the targets lie in the future. */
    public static void fillInputs(float[][] segment, int origin, int history, int lookback, float[] x,
                                  float[] mask) {
        int features = segment.length;
        int first = origin - history + 1;
        if (history < 1 || history > lookback || first < 0 || origin >= segment[0].length) {
            throw new IllegalArgumentException("window origin " + origin + " with history " + history
                    + " does not fit a segment of " + segment[0].length + " steps (lookback " + lookback + ")");
        }
        for (int f = 0; f < features; f++) {
            float[] s = segment[f];
            int base = f * lookback;
            for (int t = 0; t < lookback; t++) {
                x[base + t] = t < history ? s[first + t] : 0f;
            }
        }
        for (int t = 0; t < lookback; t++) {
            mask[t] = t < history ? 1f : 0f;
        }
    }

    /**
     * Per-step targets: for input step {@code t} (real steps only; padded steps get 0), the target feature at
     * {@code t + 1 .. t + horizon}, read from the segment, so the last real step's targets equal {@link #fill}'s.
     */
    public static void stepTargets(float[][] segment, int origin, int history, int lookback, int horizon, float[] ys) {
        int first = origin - history + 1;
        float[] target = segment[0];
        for (int k = 0; k < horizon; k++) {
            for (int t = 0; t < lookback; t++) {
                ys[k * lookback + t] = t < history ? target[first + t + 1 + k] : 0f;
            }
        }
    }

    /** The naive forecast: the last observed target value repeated over the horizon. */
    public static float lastValue(float[][] segment, int origin) {
        return segment[0][origin];
    }
}
