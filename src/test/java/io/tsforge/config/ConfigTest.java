package io.tsforge.config;

import io.tsforge.core.Normalization;
import io.tsforge.core.WindowSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigTest {

    static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", "x.csv");
        m.put("input.idColumn", "id");
        m.put("input.timeColumn", "ts");
        m.put("input.valueColumns", "v");
        m.put("series.frequency", "1h");
        m.put("output.dir", "out");
        return m;
    }

    static ConfigException rejects(Map<String, String> m) {
        return assertThrows(ConfigException.class, () -> PrepareConfig.from(Config.of(m)));
    }

    @Test
    void theSamplesConfigIsValid() throws IOException {
        PrepareConfig c = PrepareConfig.from(Config.load(Path.of("conf/samples.properties"), List.of()));
        assertEquals(List.of("load_kw", "ambient_c"), c.input().valueColumns());
        assertEquals(3_600_000L, c.resample().frequency().millis());
        assertEquals(48, c.window().lookback());
        assertEquals("out/samples/prepared", c.outputDir());
        assertTrue(c.split().isAbsolute());
    }

    @Test
    void defaultsApply() {
        PrepareConfig c = PrepareConfig.from(Config.of(minimal()));
        assertEquals(Normalization.ZSCORE, c.normalization());
        assertEquals(0.7, c.split().trainFraction());
        assertEquals(WindowSpec.ShortHistory.SKIP, c.window().shortHistory());
        assertEquals(48, c.window().minHistory());
    }

    @Test
    void anUnknownKeyIsAnErrorWithASuggestion() {
        Map<String, String> m = minimal();
        m.put("window.lookbak", "24");
        ConfigException e = assertThrows(ConfigException.class, () -> Config.of(m));
        assertEquals("window.lookbak", e.key());
        assertTrue(e.getMessage().contains("'24'") && e.getMessage().contains("did you mean 'window.lookback'"),
                e.getMessage());
    }

    @Test
    void aBadValueNamesTheKeyAndTheValue() {
        Map<String, String> m = minimal();
        m.put("window.lookback", "-3");
        ConfigException e = assertThrows(ConfigException.class, () -> Config.of(m));
        assertEquals("config key 'window.lookback': expected an integer >= 1, found '-3' (must be >= 1)",
                e.getMessage());
        m.put("window.lookback", "24");
        m.put("normalize.method", "zscor");
        e = assertThrows(ConfigException.class, () -> Config.of(m));
        assertTrue(e.getMessage().contains("normalize.method") && e.getMessage().contains("'zscor'")
                && e.getMessage().contains("zscore | minmax | robust | none"), e.getMessage());
        m.put("normalize.method", "robust");
        m.put("series.frequency", "5 weeks");
        e = assertThrows(ConfigException.class, () -> Config.of(m));
        assertEquals("series.frequency", e.key());
        assertTrue(e.getMessage().contains("'5 weeks'"), e.getMessage());
    }

    @Test
    void aMissingRequiredKeyIsNamed() {
        Map<String, String> m = minimal();
        m.remove("input.timeColumn");
        assertEquals("config key 'input.timeColumn': required, but not set", rejects(m).getMessage());
    }

    @Test
    void splitsAreCheckedAsAWhole() {
        Map<String, String> m = minimal();
        m.put("split.trainEnd", "2024-02-01");
        assertEquals("config key 'split.validationEnd': required with the absolute split", rejects(m).getMessage());
        m.put("split.validationEnd", "2024-01-01");
        assertTrue(rejects(m).getMessage().contains("validationEnd must not be before"));
        m.put("split.validationEnd", "2024-03-01");
        m.put("split.trainFraction", "0.5");
        assertTrue(rejects(m).getMessage().contains("not both"));
        m.remove("split.trainFraction");
        m.put("split.testEnd", "yesterday");
        ConfigException e = rejects(m);
        assertEquals("split.testEnd", e.key());
        assertTrue(e.getMessage().contains("'yesterday'"));
        m.remove("split.trainEnd");
        m.remove("split.validationEnd");
        m.remove("split.testEnd");
        m.put("split.trainFraction", "0.9");
        m.put("split.validationFraction", "0.2");
        assertTrue(rejects(m).getMessage().contains("split.validationFraction"));
    }

    @Test
    void columnsAndWindowsAreCheckedTogether() {
        Map<String, String> m = minimal();
        m.put("input.valueColumns", "v, ts");
        assertEquals("input.valueColumns", rejects(m).key());
        m.put("input.valueColumns", "v, v");
        assertEquals("input.valueColumns", rejects(m).key());
        m.put("input.valueColumns", "v");
        m.put("window.minHistory", "4");
        assertEquals("window.minHistory", rejects(m).key());
        m.put("window.shortHistory", "pad");
        m.put("window.lookback", "3");
        assertTrue(rejects(m).getMessage().contains("window.minHistory must be in [1, window.lookback=3], found 4"));
        m.put("input.timeFormat", "iso8601");
        m.put("window.lookback", "8");
        assertEquals("input.timeFormat", rejects(m).key());
    }

    @Test
    void lstmImplementationDefaultsToFusedAndFusedExcludesTruncatedBptt() {
        Map<String, String> m = minimal();
        assertEquals(ConfigKeys.LstmImplementation.FUSED, TrainConfig.from(Config.of(m)).model().lstmImplementation());
        m.put("train.tbptt", "8");                       // unset + truncated BPTT: DL4J's LSTM, which supports it
        assertEquals(ConfigKeys.LstmImplementation.DL4J, TrainConfig.from(Config.of(m)).model().lstmImplementation());
        m.remove("train.tbptt");
        m.put("model.lstmImplementation", "dl4j");
        assertEquals(ConfigKeys.LstmImplementation.DL4J, TrainConfig.from(Config.of(m)).model().lstmImplementation());
        m.put("model.lstmImplementation", "fused");
        assertEquals(ConfigKeys.LstmImplementation.FUSED, TrainConfig.from(Config.of(m)).model().lstmImplementation());
        m.put("train.tbptt", "8");
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.from(Config.of(m)));
        assertEquals("train.tbptt", e.key());
        assertTrue(e.getMessage().contains("model.lstmImplementation=fused"), e.getMessage());
        m.put("model.type", "rnn");                      // the key only concerns LSTM layers
        assertEquals(8, TrainConfig.from(Config.of(m)).optim().tbptt());
        m.put("model.lstmImplementation", "cudnn");
        ConfigException bad = assertThrows(ConfigException.class, () -> TrainConfig.from(Config.of(m)));
        assertEquals("model.lstmImplementation", bad.key());
        assertTrue(bad.getMessage().contains("cudnn"), bad.getMessage());
    }

    @Test
    void overridesWinAndSparkKeysPassThrough(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("c.properties");
        StringBuilder sb = new StringBuilder();
        minimal().forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        sb.append("spark.sql.shuffle.partitions = 8\n");
        Files.writeString(f, sb.toString());
        Config c = Config.load(f, List.of("window.horizon=12", "spark.master=local[1]"));
        assertEquals(12, c.get(ConfigKeys.WINDOW_HORIZON));
        assertEquals(Map.of("spark.sql.shuffle.partitions", "8", "spark.master", "local[1]"), c.sparkSettings());
        assertEquals("12", c.effective().get("window.horizon"));
        assertEquals("zscore", c.effective().get("normalize.method"));
        assertNull(c.get(ConfigKeys.SPLIT_TRAIN_END));
        assertThrows(ConfigException.class, () -> Config.load(f, List.of("novalue")));
        assertThrows(IOException.class, () -> Config.load(dir.resolve("missing.properties"), List.of()));
    }

    @Test
    void everyKeyIsDocumentedInTheReference() {
        String ref = ConfigKeys.reference();
        for (ConfigKey<?> k : ConfigKeys.all()) {
            assertTrue(ref.contains(k.name()) && !k.description().isBlank(), k.name());
        }
    }
}
