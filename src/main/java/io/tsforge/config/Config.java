package io.tsforge.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A job's configuration: the keys set in a properties file, then {@code --set key=value} overrides. Every key must be
 * declared in {@link ConfigKeys} or start with {@code spark.}; anything else is an error (a typo must never become a
 * silent default).
 */
public final class Config {

    private final Map<String, String> values;

    private Config(Map<String, String> values) {
        this.values = values;
        Map<String, ConfigKey<?>> known = ConfigKeys.byName();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            if (!known.containsKey(key) && !key.startsWith("spark.")) {
                throw new ConfigException(key, "unknown key (value '" + e.getValue() + "')" + suggestion(key, known));
            }
            ConfigKey<?> k = known.get(key);
            if (k != null) {
                k.parse(e.getValue()); // type errors surface now, before any job starts
            }
        }
    }

    public static Config of(Map<String, String> values) {
        return new Config(new TreeMap<>(values));
    }

    /** Loads a properties file and applies {@code key=value} overrides on top. */
    public static Config load(Path file, List<String> overrides) throws IOException {
        Map<String, String> values = new TreeMap<>();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IOException("config file not found: " + file.toAbsolutePath());
            }
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            for (String name : p.stringPropertyNames()) {
                values.put(name.trim(), p.getProperty(name).trim());
            }
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(o, "--set expects key=value, found '" + o + "'");
            }
            values.put(o.substring(0, eq).trim(), o.substring(eq + 1).trim());
        }
        return new Config(values);
    }

    public Config with(String key, String value) {
        Map<String, String> m = new TreeMap<>(values);
        m.put(key, value);
        return new Config(m);
    }

    public boolean isSet(ConfigKey<?> key) {
        return values.containsKey(key.name());
    }

    /** The value, the default, or an error naming the key when it is required and unset. */
    public <T> T get(ConfigKey<T> key) {
        String text = values.get(key.name());
        if (text == null) {
            if (key.required()) {
                throw new ConfigException(key.name(), "required, but not set");
            }
            if (key.defaultText() == null) {
                return null;
            }
            text = key.defaultText();
        }
        return key.parse(text);
    }

    /** The keys set under {@code spark.}. */
    public Map<String, String> sparkSettings() {
        Map<String, String> m = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith("spark.")) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** Every declared key with its effective value (set or default), plus the spark keys: for _summary.json. */
    public Map<String, String> effective() {
        Map<String, String> m = new TreeMap<>();
        for (ConfigKey<?> k : ConfigKeys.all()) {
            String v = values.getOrDefault(k.name(), k.defaultText());
            if (v != null) {
                m.put(k.name(), v);
            }
        }
        m.putAll(sparkSettings());
        return m;
    }

    private static String suggestion(String key, Map<String, ConfigKey<?>> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known.keySet()) {
            int d = distance(key.toLowerCase(), k.toLowerCase());
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best != null && bestDistance <= 3 ? "; did you mean '" + best + "'?" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
