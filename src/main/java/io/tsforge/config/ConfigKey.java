package io.tsforge.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One declared configuration key: name, value type, default, description and whether it is required. Conversion
 * failures become a {@link ConfigException} that names the key and the text found.
 */
public final class ConfigKey<T> {
    private final String name;
    private final String type;
    private final String defaultText;
    private final boolean required;
    private final String description;
    private final Function<String, T> parser;

    private ConfigKey(String name, String type, String defaultText, boolean required, String description,
                      Function<String, T> parser) {
        this.name = name;
        this.type = type;
        this.defaultText = defaultText;
        this.required = required;
        this.description = description;
        this.parser = parser;
    }

    public String name() {
        return name;
    }

    public String type() {
        return type;
    }

    public String defaultText() {
        return defaultText;
    }

    public boolean required() {
        return required;
    }

    public String description() {
        return description;
    }

    /** Converts text to the key's type, or throws naming the key and the value. */
    public T parse(String text) {
        try {
            return parser.apply(text.trim());
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigException(name, "expected " + type + ", found '" + text + "'"
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        }
    }

    static ConfigKey<String> string(String name, String def, boolean required, String description) {
        return new ConfigKey<>(name, "text", def, required, description, s -> {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("empty");
            }
            return s;
        });
    }

    static ConfigKey<Integer> integer(String name, int def, int min, String description) {
        return new ConfigKey<>(name, "an integer >= " + min, Integer.toString(def), false, description, s -> {
            int v = Integer.parseInt(s);
            if (v < min) {
                throw new IllegalArgumentException("must be >= " + min);
            }
            return v;
        });
    }

    static ConfigKey<Integer> optionalInteger(String name, int min, String description) {
        return new ConfigKey<>(name, "an integer >= " + min, null, false, description, s -> {
            int v = Integer.parseInt(s);
            if (v < min) {
                throw new IllegalArgumentException("must be >= " + min);
            }
            return v;
        });
    }

    static ConfigKey<Double> number(String name, String def, double min, double max, String description) {
        return new ConfigKey<>(name, "a number in [" + min + ", " + max + "]", def, false, description, s -> {
            double v = Double.parseDouble(s);
            if (!(v >= min && v <= max)) {
                throw new IllegalArgumentException("out of range");
            }
            return v;
        });
    }

    static ConfigKey<Boolean> bool(String name, boolean def, String description) {
        return new ConfigKey<>(name, "true or false", Boolean.toString(def), false, description, s -> {
            if (s.equalsIgnoreCase("true")) {
                return true;
            }
            if (s.equalsIgnoreCase("false")) {
                return false;
            }
            throw new IllegalArgumentException("not a boolean");
        });
    }

    static <E extends Enum<E>> ConfigKey<E> choice(String name, Class<E> type, E def, String description) {
        String allowed = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(" | "));
        return new ConfigKey<>(name, "one of " + allowed, def == null ? null : def.name().toLowerCase(Locale.ROOT),
                false, description, s -> Enum.valueOf(type, s.toUpperCase(Locale.ROOT)));
    }

    static ConfigKey<List<String>> list(String name, String def, boolean required, String description) {
        return new ConfigKey<>(name, "a comma-separated list", def, required, description, s -> {
            List<String> items = Arrays.stream(s.split(",")).map(String::trim).toList();
            if (items.isEmpty() || items.stream().anyMatch(String::isEmpty)) {
                throw new IllegalArgumentException("empty item");
            }
            return items;
        });
    }

    static <T> ConfigKey<T> custom(String name, String type, String def, boolean required, String description,
                                   Function<String, T> parser) {
        return new ConfigKey<>(name, type, def, required, description, parser);
    }
}
