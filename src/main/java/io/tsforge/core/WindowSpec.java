package io.tsforge.core;

import java.io.Serializable;

/**
 * Sliding windows over a segment: {@code lookback} input steps ending at the origin, {@code horizon} target steps after
 * it. Training windows are taken every {@code stride} origins, validation and test windows every {@code evalStride}.
 * With {@code PAD}, origins with at least {@code minHistory} (but fewer than {@code lookback}) steps of history are kept
 * and padded under a mask by the training job (after the real steps, so the last real step stays last); with
 * {@code SKIP} every window has a full history.
 */
public record WindowSpec(int lookback, int horizon, int stride, int evalStride, ShortHistory shortHistory,
                         int minHistory) implements Serializable {

    /** What to do with origins whose history is shorter than the lookback. */
    public enum ShortHistory { SKIP, PAD }

    public WindowSpec {
        require(lookback > 0, "window.lookback must be > 0, found " + lookback);
        require(horizon > 0, "window.horizon must be > 0, found " + horizon);
        require(stride > 0, "window.stride must be > 0, found " + stride);
        require(evalStride > 0, "window.evalStride must be > 0, found " + evalStride);
        if (shortHistory == ShortHistory.SKIP) {
            minHistory = lookback;
        }
        require(minHistory > 0 && minHistory <= lookback,
                "window.minHistory must be in [1, window.lookback=" + lookback + "], found " + minHistory);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
