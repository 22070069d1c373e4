package io.tsforge.model;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * Cosine annealing from {@code initialValue} to {@code minValue} over {@code maxSteps} epochs (or iterations), then
 * flat; DL4J 1.0.0-M2 has none. {@code equals}/{@code hashCode} are required: DL4J groups updater state by updater
 * equality, and without them a restored checkpoint's Adam state is read back in the wrong layout (NaN parameters).
 */
public final class CosineSchedule implements ISchedule {
    private final ScheduleType scheduleType;
    private final double initialValue;
    private final double minValue;
    private final int maxSteps;

    public CosineSchedule(@JsonProperty("scheduleType") ScheduleType scheduleType,
                          @JsonProperty("initialValue") double initialValue,
                          @JsonProperty("minValue") double minValue,
                          @JsonProperty("maxSteps") int maxSteps) {
        this.scheduleType = scheduleType;
        this.initialValue = initialValue;
        this.minValue = minValue;
        this.maxSteps = maxSteps;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        int t = scheduleType == ScheduleType.ITERATION ? iteration : epoch;
        if (t >= maxSteps) {
            return minValue;
        }
        return minValue + 0.5 * (initialValue - minValue) * (1 + Math.cos(Math.PI * t / maxSteps));
    }

    @Override
    public ISchedule clone() {
        return new CosineSchedule(scheduleType, initialValue, minValue, maxSteps);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineSchedule c && scheduleType == c.scheduleType && initialValue == c.initialValue
                && minValue == c.minValue && maxSteps == c.maxSteps;
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheduleType, initialValue, minValue, maxSteps);
    }

    public ScheduleType getScheduleType() {
        return scheduleType;
    }

    public double getInitialValue() {
        return initialValue;
    }

    public double getMinValue() {
        return minValue;
    }

    public int getMaxSteps() {
        return maxSteps;
    }
}
