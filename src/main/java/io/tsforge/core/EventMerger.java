package io.tsforge.core;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Merges flagged rows of one series into events: rows on consecutive steps (timestamps one step apart) form one
 * event, reported with its first and last timestamp, its highest-scoring row and its row count. Feed rows in
 * timestamp order; unflagged rows end the running event.
 */
public final class EventMerger {

    /** One anomaly event. */
    public record Event(String seriesId, long startTs, long endTs, long peakTs, double peakScore, int rows)
            implements Serializable {
    }

    private final String seriesId;
    private final long stepMillis;
    private final List<Event> events = new ArrayList<>();
    private long start = Long.MIN_VALUE;
    private long last;
    private long peakTs;
    private double peak;
    private int rows;

    public EventMerger(String seriesId, long stepMillis) {
        this.seriesId = seriesId;
        this.stepMillis = stepMillis;
    }

    public void add(long ts, double score, boolean flagged) {
        if (start != Long.MIN_VALUE && (!flagged || ts - last != stepMillis)) {
            close();
        }
        if (!flagged) {
            return;
        }
        if (start == Long.MIN_VALUE) {
            start = ts;
            peak = Double.NEGATIVE_INFINITY;
            rows = 0;
        }
        last = ts;
        rows++;
        if (score > peak) {
            peak = score;
            peakTs = ts;
        }
    }

    private void close() {
        events.add(new Event(seriesId, start, last, peakTs, peak, rows));
        start = Long.MIN_VALUE;
    }

    public List<Event> finish() {
        if (start != Long.MIN_VALUE) {
            close();
        }
        return events;
    }
}
