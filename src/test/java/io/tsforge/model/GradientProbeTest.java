package io.tsforge.model;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gradient probe against finite differences of the loss: its input gradient per step is {@code |dLoss/dx_t|}
 * (one example, one varying feature), its norm is the loss gradient's, and measuring leaves the network unchanged.
 */
class GradientProbeTest {

    @ParameterizedTest
    @ValueSource(strings = {"rnn", "lstm", "gru", "lstm_attention", "lstm:dl4j", "lstm_attention:dl4j"})
    void inputGradientMatchesFiniteDifferences(String type) {
        MultiLayerNetwork net = MaskingTest.network(type, 1);
        net = net.convertDataType(DataType.DOUBLE);
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 2, 10).subi(0.5).muli(2);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 1, 3).subi(0.5);
        DataSet probe = new DataSet(x, y);
        INDArray before = net.params().dup();

        GradientProbe.Result r = GradientProbe.measure(net, probe);

        assertEquals(0.0, net.params().sub(before).amaxNumber().doubleValue(), 0.0, "the probe changed the network");
        assertEquals(10, r.inputGradientByStep().length);
        double h = 1e-6;
        for (int t : new int[]{0, 4, 9}) {
            double fd = 0;
            for (int f = 0; f < 2; f++) {
                INDArray plus = x.dup();
                plus.putScalar(new long[]{0, f, t}, x.getDouble(0, f, t) + h);
                INDArray minus = x.dup();
                minus.putScalar(new long[]{0, f, t}, x.getDouble(0, f, t) - h);
                double d = (net.score(new DataSet(plus, y)) - net.score(new DataSet(minus, y))) / (2 * h);
                fd += Math.abs(d) / 2; // mean over the two features
            }
            assertEquals(fd, r.inputGradientByStep()[t], 1e-6 + 1e-4 * fd, type + " step " + t);
        }
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        double norm = net.gradient().gradient().norm2Number().doubleValue();
        assertTrue(norm > 0);
        assertEquals(norm, r.gradientNorm(), 1e-9 * norm + 1e-12, type + " gradient norm");
        assertEquals(r.inputGradientByStep()[0] / r.inputGradientByStep()[9], r.reach(), 1e-12);
        assertEquals(r.inputGradientByStep()[5] / r.inputGradientByStep()[9], r.reachAt(4), 1e-12);
    }
}
