package io.tsforge.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds one series from its readings, fed in timestamp order (ties in input order): resolves duplicate timestamps,
 * aggregates readings into regular steps, fills gaps of up to {@code maxGapFill} missing steps and starts a new
 * {@link Segment} at any longer gap, so that no window can later cross it.
 *
 * <p>Non-finite values (kept only when the input policy is {@code fill}) are ignored by duplicate resolution and by
 * the aggregations; a step left
 * without a finite value for some feature counts as missing and is filled like any other gap.
 */
public final class SeriesAssembler {

    private String seriesId;
    private final ResampleSpec spec;
    private final int features;
    private final long step;

    // the duplicate group being read: readings sharing one timestamp
    private long dupTs = Long.MIN_VALUE;
    private int dupCount;
    private final double[] dupValue;
    private final double[] dupSum;
    private final int[] dupFinite;

    // the step being aggregated
    private long bucketTs = Long.MIN_VALUE;
    private int bucketRows;
    private final double[] bucketValue;
    private final int[] bucketFinite;
    // scratch rows: the values of the step being appended, of the last step before a gap, of a filled step
    private final double[] stepValue;
    private final double[] gapPrev;
    private final double[] gapFill;

    // the segment being built
    private final List<Segment> segments = new ArrayList<>();
    private long segStart = Long.MIN_VALUE;
    private long lastTs = Long.MIN_VALUE;
    private double[][] segValues;
    private boolean[] segFilled;
    private int[] segRows;
    private int segLen;

    private long lastInputTs = Long.MIN_VALUE;
    private long rowsUsed;
    private long rowsDuplicate;
    private long stepsFilled;
    private long gapsFilled;
    private long gapsSplit;
    private long stepsIncomplete;

    public SeriesAssembler(String seriesId, ResampleSpec spec, int features) {
        this.seriesId = seriesId;
        this.spec = spec;
        this.features = features;
        this.step = spec.frequency().millis();
        this.dupValue = new double[features];
        this.dupSum = new double[features];
        this.dupFinite = new int[features];
        this.bucketValue = new double[features];
        this.bucketFinite = new int[features];
        this.stepValue = new double[features];
        this.gapPrev = new double[features];
        this.gapFill = new double[features];
    }

    /**
     * Starts another series with this assembler, once {@link #finish} has given the last one: the state of a new
     * assembler, keeping only the grown buffers (the segments are copied out of them), so a partition of many series
     * allocates its buffers once.
     */
    public SeriesAssembler reset(String seriesId) {
        this.seriesId = seriesId;
        dupTs = Long.MIN_VALUE;
        dupCount = 0;
        bucketTs = Long.MIN_VALUE;
        bucketRows = 0;
        segments.clear();
        segStart = Long.MIN_VALUE;
        lastTs = Long.MIN_VALUE;
        segLen = 0;
        lastInputTs = Long.MIN_VALUE;
        rowsUsed = 0;
        rowsDuplicate = 0;
        stepsFilled = 0;
        gapsFilled = 0;
        gapsSplit = 0;
        stepsIncomplete = 0;
        return this;
    }

    /** Adds one reading; timestamps must not decrease. */
    public void add(long ts, double[] values) {
        if (ts < lastInputTs) {
            throw new IllegalStateException("series '" + seriesId + "': readings must arrive sorted, "
                    + ts + " came after " + lastInputTs);
        }
        lastInputTs = ts;
        if (ts == dupTs) {
            rowsDuplicate++;
            dupCount++;
            for (int f = 0; f < features; f++) {
                double v = values[f];
                switch (spec.duplicates()) {
                    case LAST -> dupValue[f] = Double.isFinite(v) ? v : dupValue[f];
                    case FIRST -> dupValue[f] = Double.isFinite(dupValue[f]) ? dupValue[f] : v;
                    case MEAN -> {
                        if (Double.isFinite(v)) {
                            dupSum[f] += v;
                            dupFinite[f]++;
                        }
                    }
                }
            }
            return;
        }
        rowsUsed++;
        flushDuplicateGroup();
        dupTs = ts;
        dupCount = 1;
        for (int f = 0; f < features; f++) {
            double v = values[f];
            dupValue[f] = v;
            boolean finite = Double.isFinite(v);
            dupSum[f] = finite ? v : 0.0;
            dupFinite[f] = finite ? 1 : 0;
        }
    }

    private void flushDuplicateGroup() {
        if (dupTs == Long.MIN_VALUE) {
            return;
        }
        if (spec.duplicates() == ResampleSpec.Duplicates.MEAN) {
            for (int f = 0; f < features; f++) {
                dupValue[f] = dupFinite[f] > 0 ? dupSum[f] / dupFinite[f] : Double.NaN;
            }
        }
        addToBucket(spec.frequency().floor(dupTs, spec.alignOffsetMillis()), dupValue, dupCount);
        dupTs = Long.MIN_VALUE;
    }

    private void addToBucket(long b, double[] v, int rows) {
        if (b != bucketTs) {
            flushBucket();
            bucketTs = b;
            bucketRows = 0;
            Arrays.fill(bucketFinite, 0);
            Arrays.fill(bucketValue, 0.0);
        }
        bucketRows += rows;
        for (int f = 0; f < features; f++) {
            double x = v[f];
            if (!Double.isFinite(x)) {
                continue;
            }
            switch (spec.aggregation()) {
                case MEAN, SUM -> bucketValue[f] += x;
                case LAST -> bucketValue[f] = x;
                case MAX -> bucketValue[f] = bucketFinite[f] == 0 ? x : Math.max(bucketValue[f], x);
            }
            bucketFinite[f]++;
        }
    }

    private void flushBucket() {
        if (bucketTs == Long.MIN_VALUE) {
            return;
        }
        for (int f = 0; f < features; f++) {
            if (bucketFinite[f] == 0) {
                bucketTs = Long.MIN_VALUE; // incomplete step: a gap, filled or split like any other
                stepsIncomplete++;
                return;
            }
        }
        double[] v = stepValue;
        for (int f = 0; f < features; f++) {
            v[f] = spec.aggregation() == ResampleSpec.Aggregation.MEAN ? bucketValue[f] / bucketFinite[f] : bucketValue[f];
        }
        appendStep(bucketTs, v, bucketRows);
        bucketTs = Long.MIN_VALUE;
    }

    private void appendStep(long ts, double[] v, int rows) {
        if (segLen > 0) {
            long missing = (ts - lastTs) / step - 1;
            if (missing > spec.maxGapFill()) {
                closeSegment();
                gapsSplit++;
            } else if (missing > 0) {
                gapsFilled++;
                double[] prev = gapPrev;
                for (int f = 0; f < features; f++) {
                    prev[f] = segValues[f][segLen - 1];
                }
                for (int k = 1; k <= missing; k++) {
                    double[] fill = gapFill;
                    for (int f = 0; f < features; f++) {
                        fill[f] = spec.gapFill() == ResampleSpec.GapFill.FFILL
                                ? prev[f] : prev[f] + (v[f] - prev[f]) * k / (missing + 1);
                    }
                    push(fill, true, 0);
                    stepsFilled++;
                }
            }
        }
        if (segLen == 0) {
            segStart = ts;
        }
        push(v, false, rows);
        lastTs = ts;
    }

    private void push(double[] v, boolean filled, int rows) {
        if (segValues == null) {
            segValues = new double[features][64];
            segFilled = new boolean[64];
            segRows = new int[64];
        } else if (segLen == segFilled.length) {
            int cap = segLen * 2;
            for (int f = 0; f < features; f++) {
                segValues[f] = Arrays.copyOf(segValues[f], cap);
            }
            segFilled = Arrays.copyOf(segFilled, cap);
            segRows = Arrays.copyOf(segRows, cap);
        }
        for (int f = 0; f < features; f++) {
            segValues[f][segLen] = v[f];
        }
        segFilled[segLen] = filled;
        segRows[segLen] = rows;
        segLen++;
    }

    private void closeSegment() {
        if (segLen == 0) {
            return;
        }
        double[][] vals = new double[features][];
        for (int f = 0; f < features; f++) {
            vals[f] = Arrays.copyOf(segValues[f], segLen);
        }
        segments.add(new Segment(seriesId, segments.size(), segStart, step, vals,
                Arrays.copyOf(segFilled, segLen), Arrays.copyOf(segRows, segLen)));
        segLen = 0;
    }

    /** Completes the series. The assembler must not be used afterwards. */
    public AssembledSeries finish() {
        flushDuplicateGroup();
        flushBucket();
        closeSegment();
        return new AssembledSeries(seriesId, List.copyOf(segments), rowsUsed, rowsDuplicate,
                stepsFilled, gapsFilled, gapsSplit, stepsIncomplete);
    }
}
