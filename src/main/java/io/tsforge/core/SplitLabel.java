package io.tsforge.core;

/** The time split a step belongs to; {@code NONE} is past the configured test end and used by no window. */
public enum SplitLabel {
    TRAIN("train"), VALIDATION("validation"), TEST("test"), NONE("none");

    public final String label;

    SplitLabel(String label) {
        this.label = label;
    }

    public byte code() {
        return (byte) ordinal();
    }

    public static SplitLabel of(byte code) {
        return values()[code];
    }
}
