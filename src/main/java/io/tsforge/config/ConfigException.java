package io.tsforge.config;

/** A configuration problem, always naming the key and the value found. */
public final class ConfigException extends IllegalArgumentException {
    private final String key;

    public ConfigException(String key, String message) {
        super("config key '" + key + "': " + message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
