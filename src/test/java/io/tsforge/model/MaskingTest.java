package io.tsforge.model;

import io.tsforge.config.Config;
import io.tsforge.config.TrainConfig;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Masked padding for short histories: a mask of ones changes nothing for full windows, and a right-padded short
 * window gives what the same steps give unpadded, for every architecture (and both LSTM implementations).
 */
class MaskingTest {

    static MultiLayerNetwork network(String type, int layers) {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", "x");
        m.put("input.timeColumn", "t");
        m.put("input.valueColumns", "a,b");
        m.put("series.frequency", "1h");
        m.put("output.dir", "o");
        m.put("window.lookback", "10");
        m.put("window.horizon", "3");
        String[] typeAndImpl = type.split(":");          // e.g. "lstm:fused" sets model.lstmImplementation
        m.put("model.type", typeAndImpl[0]);
        if (typeAndImpl.length > 1) {
            m.put("model.lstmImplementation", typeAndImpl[1]);
        }
        m.put("model.layers", Integer.toString(layers));
        m.put("model.units", "8");
        return NetworkFactory.network(TrainConfig.from(Config.of(m)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn", "lstm", "gru", "lstm_attention", "lstm:dl4j", "lstm_attention:dl4j", "lstm:fused",
        "lstm_attention:fused"})
    void maskingIsExactForEveryArchitecture(String type) {
        MultiLayerNetwork net = network(type, 2);
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 2, 10).subi(0.5);
        INDArray ones = Nd4j.ones(DataType.FLOAT, 4, 10);
        INDArray plain = net.output(x, false, null, null);
        INDArray masked = net.output(x, false, ones, null);
        assertEquals(0.0, plain.sub(masked).amaxNumber().doubleValue(), 1e-6, type + ": a mask of ones changed it");

        int history = 6;
        INDArray padded = x.dup();
        padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(history, 10)).assign(0.0);
        INDArray mask = ones.dup();
        mask.get(NDArrayIndex.all(), NDArrayIndex.interval(history, 10)).assign(0.0);
        INDArray viaMask = net.output(padded, false, mask, null);
        // whatever stands behind the mask cannot leak into the output
        INDArray noisy = padded.dup();
        noisy.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(history, 10))
                .assign(Nd4j.rand(DataType.FLOAT, 4, 2, 10 - history).muli(5));
        double leak = viaMask.sub(net.output(noisy, false, mask, null)).amaxNumber().doubleValue();
        assertTrue(leak < 1e-5, type + ": values behind the mask changed the output by " + leak);
        assertTrue(plain.sub(viaMask).amaxNumber().doubleValue() > 1e-4, type + ": the check must see the history");
        INDArray short1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, history)).dup();
        double diff = viaMask.sub(net.output(short1, false, null, null)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-5, type + ": right padding under a mask differs from the unpadded steps by " + diff);
    }
}
