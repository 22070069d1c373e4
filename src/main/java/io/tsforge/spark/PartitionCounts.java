package io.tsforge.spark;

import org.apache.spark.util.AccumulatorV2;

import java.util.HashMap;
import java.util.Map;

/**
 * Rows counted per input partition by a scan that runs anyway. A re-executed task reports its partition's count again;
 * it is the same count (a partition's rows do not change), so keeping one per partition makes the total exact where a
 * plain counter would add it twice. A task that fails before the end of its partition reports nothing.
 */
public final class PartitionCounts extends AccumulatorV2<long[], Map<Integer, Long>> {

    private final Map<Integer, Long> counts = new HashMap<>();

    /** Records that {@code partition} held {@code rows} rows. */
    public void add(int partition, long rows) {
        add(new long[]{partition, rows});
    }

    @Override
    public boolean isZero() {
        return counts.isEmpty();
    }

    @Override
    public AccumulatorV2<long[], Map<Integer, Long>> copy() {
        PartitionCounts c = new PartitionCounts();
        c.counts.putAll(counts);
        return c;
    }

    @Override
    public void reset() {
        counts.clear();
    }

    @Override
    public void add(long[] v) {
        Long before = counts.get((int) v[0]);
        if (before != null && before != v[1]) {
            throw new IllegalStateException("partition " + v[0] + " counted " + before + " rows, then " + v[1]);
        }
        counts.put((int) v[0], v[1]);
    }

    @Override
    public void merge(AccumulatorV2<long[], Map<Integer, Long>> other) {
        for (Map.Entry<Integer, Long> e : other.value().entrySet()) {
            add(new long[]{e.getKey(), e.getValue()});
        }
    }

    @Override
    public Map<Integer, Long> value() {
        return counts;
    }

    /** The total over all partitions, or -1 unless every one of {@code partitions} has reported. */
    public long total(int partitions) {
        if (counts.size() != partitions) {
            return -1;
        }
        long n = 0;
        for (long c : counts.values()) {
            n += c;
        }
        return n;
    }
}
