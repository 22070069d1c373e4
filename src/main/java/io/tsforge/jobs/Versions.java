package io.tsforge.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** Versions of the code and of the libraries it runs on, for summaries and model provenance. */
public final class Versions {

    private Versions() {
    }

    public static Map<String, String> all() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("tsforge", project("version"));
        m.put("gitCommit", project("git.commit") + ("true".equals(project("git.dirty")) ? "-dirty" : ""));
        m.put("java", System.getProperty("java.version"));
        m.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
        m.put("scala", scala.util.Properties.versionNumberString());
        m.put("dl4j", project("dl4j.version"));
        return m;
    }

    private static String project(String key) {
        Properties p = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("/tsforge-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty(key, "unknown");
    }
}
