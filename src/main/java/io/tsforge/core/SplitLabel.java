package io.tsforge.core;

/** The time split a step belongs to; {@code NONE} is past the configured test end and used by no window. */
public enum SplitLabel {
    TRAIN("train"), VALIDATION("validation"), TEST("test"), NONE("none");

    public final String label;

    /** values() clones its array on every call; this is called per step and per window. */
    private static final SplitLabel[] BY_CODE = values();

    SplitLabel(String label) {
        this.label = label;
    }

    public byte code() {
        return (byte) ordinal();
    }

    public static SplitLabel of(byte code) {
        return BY_CODE[code];
    }
}
