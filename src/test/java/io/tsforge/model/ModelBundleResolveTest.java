package io.tsforge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsforge.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code latest} and version names resolve, without training: only the registry's folder layout matters. */
class ModelBundleResolveTest {

    @TempDir
    Path tmp;

    private String resolve(String version) {
        return ModelBundle.resolve(Storage.local(), tmp.toString(), "m", version);
    }

    @Test
    void latestNamesItsVersionEvenWhenANewerFolderExists() throws IOException {
        Files.createDirectories(tmp.resolve("m/v1"));
        Files.createDirectories(tmp.resolve("m/v2"));
        Files.writeString(tmp.resolve("m/latest"), "v1\n");
        assertEquals(tmp.resolve("m/v1").toString(), resolve("latest"));
        assertEquals(tmp.resolve("m/v2").toString(), resolve("2"));
        assertEquals(tmp.resolve("m/v2").toString(), resolve("v2"));
    }

    @Test
    void aMissingLatestFallsBackToTheNewestCompleteVersionNotToATemporaryFolder() throws IOException {
        // the moment between write()'s delete of latest and its rename of the new one: v3 is in place, latest gone,
        // and a later write's temporary folder exists
        Files.createDirectories(tmp.resolve("m/v2"));
        Files.createDirectories(tmp.resolve("m/v3"));
        Files.createDirectories(tmp.resolve("m/.v4.tmp-0000"));
        Files.writeString(tmp.resolve("m/.latest.tmp-0000"), "v3\n");
        assertEquals(tmp.resolve("m/v3").toString(), resolve("latest"));
    }

    @Test
    void noVersionAtAllIsAClearError() throws IOException {
        Files.createDirectories(tmp.resolve("m/.v1.tmp-0000"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve("latest"));
        assertTrue(e.getMessage().contains("no model 'm'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> resolve("newest"));
        assertTrue(e.getMessage().contains("'newest'"), e.getMessage());
    }
}
