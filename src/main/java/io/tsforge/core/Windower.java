package io.tsforge.core;

/**
 * Cuts the windows of one segment. A window belongs to a split only when all of its target steps lie in that split;
 * windows whose targets straddle a split boundary (or reach past the test end) are skipped and counted. Inputs may
 * reach back into earlier splits, as in the Informer protocol where validation windows start {@code lookback} steps
 * before the validation range.
 */
public final class Windower {

    /** Receives each window: the origin is the index of the last input step, {@code history <= lookback}. */
    public interface Sink {
        void accept(Segment segment, int origin, int history, SplitLabel split);
    }

    /** Counts over any number of segments; {@link #add} merges counts from elsewhere. */
    public static final class Counts implements java.io.Serializable {
        public long train;
        public long validation;
        public long test;
        public long straddling;
        public long padded;
        public long segmentsTooShort;

        public void add(Counts o) {
            train += o.train;
            validation += o.validation;
            test += o.test;
            straddling += o.straddling;
            padded += o.padded;
            segmentsTooShort += o.segmentsTooShort;
        }

        public long windows() {
            return train + validation + test;
        }
    }

    private final WindowSpec spec;

    public Windower(WindowSpec spec) {
        this.spec = spec;
    }

    public Counts cut(Segment seg, Sink sink) {
        Counts c = new Counts();
        cut(seg, sink, c);
        return c;
    }

    public void cut(Segment seg, Sink sink, Counts c) {
        if (seg.split == null) {
            throw new IllegalStateException("segment " + seg.index + " of series '" + seg.seriesId + "' has no split");
        }
        int first = spec.minHistory() - 1;
        int last = seg.length() - 1 - spec.horizon();
        if (last < first) {
            c.segmentsTooShort++;
            return;
        }
        // runEnd[t]: the last step of the run of equal split codes that holds step t, so that a window's targets
        // o+1..o+horizon all share one split exactly when runEnd[o+1] >= o+horizon (one pass, not horizon per origin)
        int n = seg.length();
        int[] runEnd = new int[n];
        runEnd[n - 1] = n - 1;
        for (int t = n - 2; t >= 0; t--) {
            runEnd[t] = seg.split[t] == seg.split[t + 1] ? runEnd[t + 1] : t;
        }
        for (int o = first; o <= last; o++) {
            byte label = seg.split[o + 1];
            SplitLabel split = SplitLabel.of(label);
            int stride = split == SplitLabel.TRAIN ? spec.stride() : spec.evalStride();
            if ((o - first) % stride != 0) {
                continue;
            }
            boolean same = label != SplitLabel.NONE.code() && runEnd[o + 1] >= o + spec.horizon();
            if (!same) {
                c.straddling++;
                continue;
            }
            int history = Math.min(spec.lookback(), o + 1);
            switch (split) {
                case TRAIN -> c.train++;
                case VALIDATION -> c.validation++;
                default -> c.test++;
            }
            if (history < spec.lookback()) {
                c.padded++;
            }
            sink.accept(seg, o, history, split);
        }
    }
}
