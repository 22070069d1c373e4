package io.tsforge.jobs;

import io.tsforge.config.Config;
import io.tsforge.config.TrainConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DL4J's own master as the bench builds it: Direct by default, Export into the given directory when asked. */
class Dl4jTrainingMasterTest {

    private static final TrainConfig CFG = TrainConfig.from(Config.of(Map.of("input.path", "x", "input.timeColumn",
            "t", "input.valueColumns", "a", "series.frequency", "1h", "output.dir", "o", "window.lookback", "6",
            "window.horizon", "1", "train.batchSizePerWorker", "4", "model.units", "4")));

    @Test
    void directUnlessAnExportDirectoryIsGiven() {
        String direct = TrainJob.dl4jTrainingMaster(CFG, 2, 0).toJson();
        assertTrue(direct.contains("\"rddTrainingApproach\" : \"Direct\""), direct);
        String export = TrainJob.dl4jTrainingMaster(CFG, 2, 0, "/data/export-here").toJson();
        assertTrue(export.contains("\"rddTrainingApproach\" : \"Export\""), export);
        assertTrue(export.contains("/data/export-here"), export);
        assertFalse(direct.contains("/data/export-here"), direct);
    }
}
