package io.tsforge.jobs;

import io.tsforge.config.ConfigKey;
import io.tsforge.config.ConfigKeys;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's reference must not drift from the code it documents. */
class ReadmeTest {

    @Test
    void everyConfigKeyAndJobIsDocumented() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (ConfigKey<?> k : ConfigKeys.all()) {
            assertTrue(readme.contains("| `" + k.name() + "` |"), "README.md lacks a row for " + k.name());
        }
        for (String job : Main.JOBS.keySet()) {
            assertTrue(readme.contains("| `" + job + "` |"), "README.md lacks job " + job);
        }
        assertTrue(readme.contains("jobs/pipeline.sh --config conf/samples.properties"));
        assertTrue(readme.contains("mvn -B test"));
        assertFalse(readme.contains("PLACEHOLDER"), "README.md has an unfilled placeholder");
    }
}
