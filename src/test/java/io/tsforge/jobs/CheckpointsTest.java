package io.tsforge.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsforge.io.Storage;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A driver killed at any point of a checkpoint leaves the previous epoch's complete checkpoint for --resume. */
class CheckpointsTest {

    @TempDir
    Path tmp;

    private static MultiLayerNetwork net(long seed) {
        MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(seed).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nIn(4).nOut(2).build())
                .build());
        n.init();
        return n;
    }

    private static TrainJob.State state(int nextEpoch, int bestEpoch) {
        TrainJob.State s = new TrainJob.State();
        s.nextEpoch = nextEpoch;
        s.bestEpoch = bestEpoch;
        s.bestValLoss = 0.5;
        s.history.addObject().put("epoch", nextEpoch);
        return s;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(tmp.resolve("ck"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theNewestCommittedEpochIsTheCheckpointWhateverACrashLeftAfterIt() throws IOException {
        TrainJob.Checkpoints ck = new TrainJob.Checkpoints(Storage.local(), tmp.resolve("ck").toString());
        assertNull(ck.latestState());
        MultiLayerNetwork e1 = net(1);
        MultiLayerNetwork e2 = net(2);
        ck.commit(e1, true, state(1, 0));
        ck.commit(e2, false, state(2, 0));
        assertEquals(List.of("best-1.zip", "last-2.zip", "state-2.json"), files(), "older epochs' files are pruned");
        // killed while checkpointing epoch 3: its network is written, its state only half (temporary name)
        Files.write(tmp.resolve("ck/last-3.zip"), new byte[]{1, 2, 3});
        Files.writeString(tmp.resolve("ck/.state-3.json.tmp"), "{\"nextEpoch\" : 3, \"la");
        JsonNode s = ck.latestState();
        assertEquals(2, s.path("nextEpoch").asInt());
        assertEquals(e2.params(), ck.restore(TrainJob.Checkpoints.last(s)).params(), "resumes from epoch 2's network");
        assertEquals(e1.params(), ck.restore(TrainJob.Checkpoints.best(s)).params(), "the best network is epoch 1's");
        // the resumed run commits epoch 3 over the debris
        ck.commit(e1, false, state(3, 0));
        assertEquals(List.of("best-1.zip", "last-3.zip", "state-3.json"), files());
        assertEquals(e1.params(), ck.restore("last-3.zip").params());
    }

    @Test
    void clearingDeletesOnlyCheckpointFilesAndLegacyCheckpointsAreRead() throws IOException {
        Path dir = tmp.resolve("ck");
        TrainJob.Checkpoints ck = new TrainJob.Checkpoints(Storage.local(), dir.toString());
        ck.save(net(1), "last.zip");
        ck.save(net(1), "best.zip");
        Storage.local().writeJson(dir.resolve("state.json").toString(), state(4, 2).toJson());
        Files.writeString(dir.resolve("notes.txt"), "someone else's file");
        JsonNode legacy = ck.latestState();
        assertEquals(4, legacy.path("nextEpoch").asInt());
        assertEquals("last.zip", TrainJob.Checkpoints.last(legacy));
        assertEquals("best.zip", TrainJob.Checkpoints.best(legacy));
        ck.clear();
        assertEquals(List.of("notes.txt"), files());
        assertNull(ck.latestState());
    }
}
