package io.tsforge.model;

import static io.tsforge.model.LayerTestArrays.rightPad;
import static io.tsforge.model.LayerTestArrays.uniform;

import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.TrainConfig;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LinearForecastLayer} (model.type nlinear / dlinear): the forward pass against a plain-Java computation of the
 * documented equations, gradients against numerical ones (DL4J's GradientCheckUtil, double precision, with and without
 * padding masks), masks (ones change nothing, nothing behind a mask leaks, a padded window reads as its aligned
 * form), zero init = repeat-last-value, a save/restore round trip and the network built from config.
 */
@ExtendWith(DoublePrecision.class)
class LinearForecastLayerTest {

    static MultiLayerNetwork net(DataType dt, LinearForecastLayer.Kind kind, int nIn, int steps, int horizon) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).dataType(dt)
                .updater(new NoOp()).list()
                .layer(new LinearForecastLayer(kind, 0, steps, horizon))
                .layer(new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(nIn, steps, RNNFormat.NCW)).build());
        net.init();
        // non-zero bias, so the check sees it
        net.getParam("0_" + LinearForecastLayer.BIAS_KEY).assign(uniform(new Random(9), 1, horizon));
        return net;
    }



    private static boolean check(MultiLayerNetwork net, INDArray x, INDArray y, INDArray mask) {
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .inputMask(mask).epsilon(1e-6).maxRelError(1e-6).minAbsoluteError(1e-10)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
    }

    @ParameterizedTest
    @EnumSource(LinearForecastLayer.Kind.class)
    void gradientCheckWithoutMask(LinearForecastLayer.Kind kind) {
        Random rnd = new Random(1);
        for (int features = 1; features <= 2; features++) {
            MultiLayerNetwork net = net(DataType.DOUBLE, kind, features, 7, 3);
            assertTrue(check(net, uniform(rnd, 4, features, 7), uniform(rnd, 4, 3), null), features + " features");
        }
    }

    @ParameterizedTest
    @EnumSource(LinearForecastLayer.Kind.class)
    void gradientCheckWithRightPaddedMask(LinearForecastLayer.Kind kind) {
        Random rnd = new Random(2);
        MultiLayerNetwork net = net(DataType.DOUBLE, kind, 2, 7, 3);
        INDArray x = uniform(rnd, 4, 2, 7);
        INDArray mask = rightPad(x, 7, 4, 1, 6);
        assertTrue(check(net, x, uniform(rnd, 4, 3), mask));
    }

    /** out[i][k] by the documented equations, in plain Java. */
    static double[][] handForward(LinearForecastLayer.Kind kind, double[][][] x, MultiLayerNetwork net, int horizon) {
        int mb = x.length;
        int features = x[0].length;
        int steps = x[0][0].length;
        double[][] out = new double[mb][horizon];
        INDArray b = net.getParam("0_" + LinearForecastLayer.BIAS_KEY);
        int k = LinearForecastLayer.movingAverage(steps);
        for (int i = 0; i < mb; i++) {
            for (int h = 0; h < horizon; h++) {
                double sum = b.getDouble(0, h);
                for (int f = 0; f < features; f++) {
                    for (int t = 0; t < steps; t++) {
                        int row = f * steps + t;
                        if (kind == LinearForecastLayer.Kind.NLINEAR) {
                            sum += (x[i][f][t] - x[i][f][steps - 1])
                                    * net.getParam("0_" + LinearForecastLayer.WEIGHT_KEY).getDouble(row, h);
                        } else {
                            double trend = 0;
                            for (int j = -(k - 1) / 2; j <= (k - 1) / 2; j++) {
                                trend += x[i][f][Math.max(0, Math.min(steps - 1, t + j))] / k;
                            }
                            sum += trend * net.getParam("0_" + LinearForecastLayer.TREND_KEY).getDouble(row, h)
                                    + (x[i][f][t] - trend)
                                    * net.getParam("0_" + LinearForecastLayer.SEASONAL_KEY).getDouble(row, h);
                        }
                    }
                }
                if (kind == LinearForecastLayer.Kind.NLINEAR) {
                    sum += x[i][0][steps - 1];
                }
                out[i][h] = sum;
            }
        }
        return out;
    }

    private static double[][][] array(INDArray x) {
        double[][][] a = new double[(int) x.size(0)][(int) x.size(1)][(int) x.size(2)];
        for (int i = 0; i < a.length; i++) {
            for (int f = 0; f < a[0].length; f++) {
                for (int t = 0; t < a[0][0].length; t++) {
                    a[i][f][t] = x.getDouble(i, f, t);
                }
            }
        }
        return a;
    }

    @ParameterizedTest
    @EnumSource(LinearForecastLayer.Kind.class)
    void forwardPassEqualsHandComputation(LinearForecastLayer.Kind kind) {
        Random rnd = new Random(3);
        // 30 steps: DLinear's full 25-step moving average, with edge repetition at both ends
        for (int features = 1; features <= 2; features++) {
            MultiLayerNetwork net = net(DataType.DOUBLE, kind, features, 30, 4);
            INDArray x = uniform(rnd, 3, features, 30);
            double[][] expected = handForward(kind, array(x), net, 4);
            INDArray out = net.output(x);
            for (int i = 0; i < 3; i++) {
                for (int h = 0; h < 4; h++) {
                    assertEquals(expected[i][h], out.getDouble(i, h), 1e-12, kind + " output " + i + "," + h);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(LinearForecastLayer.Kind.class)
    void masksAlignTheRealStepsAndHideThePadding(LinearForecastLayer.Kind kind) {
        Random rnd = new Random(4);
        MultiLayerNetwork net = net(DataType.DOUBLE, kind, 2, 8, 3);
        INDArray x = uniform(rnd, 3, 2, 8);
        INDArray plain = net.output(x);
        assertEquals(0.0, plain.sub(net.output(x, false, Nd4j.ones(DataType.DOUBLE, 3, 8), null))
                .amaxNumber().doubleValue(), 1e-12, "a mask of ones changed the output");

        INDArray padded = x.dup();
        INDArray mask = rightPad(padded, 8, 5, 2);
        INDArray viaMask = net.output(padded, false, mask, null);
        INDArray noisy = padded.dup();
        noisy.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(5, 8)).assign(7.0);
        noisy.get(NDArrayIndex.point(2), NDArrayIndex.all(), NDArrayIndex.interval(2, 8)).assign(-3.0);
        assertEquals(0.0, viaMask.sub(net.output(noisy, false, mask, null)).amaxNumber().doubleValue(), 1e-12,
                "values behind the mask leaked");
        // the aligned window: real steps at the end, the first real value repeated before them
        INDArray aligned = x.dup();
        int[] real = {8, 5, 2};
        for (int i = 1; i < 3; i++) {
            for (int t = 0; t < 8; t++) {
                int src = Math.max(0, t - (8 - real[i]));
                aligned.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(t))
                        .assign(x.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(src)));
            }
        }
        assertEquals(0.0, viaMask.sub(net.output(aligned)).amaxNumber().doubleValue(), 1e-12);
        assertTrue(viaMask.sub(plain).getRow(1).amaxNumber().doubleValue() > 1e-6, "the check must see the padding");
    }

    static Map<String, String> config(String type) {
        Map<String, String> m = new HashMap<>();
        m.put("input.path", "x");
        m.put("input.timeColumn", "t");
        m.put("input.valueColumns", "a,b");
        m.put("series.frequency", "1h");
        m.put("output.dir", "o");
        m.put("window.lookback", "12");
        m.put("window.horizon", "5");
        m.put("model.type", type);
        return m;
    }

    @Test
    void zeroInitNlinearRepeatsTheLastValue() {
        Map<String, String> m = config("nlinear");
        m.put("model.weightInit", "zero");
        MultiLayerNetwork net = NetworkFactory.network(TrainConfig.from(Config.of(m)));
        assertEquals(2 * 12 * 5 + 5, net.numParams());
        INDArray x = uniform(new Random(5), 3, 2, 12).castTo(DataType.FLOAT);
        INDArray out = net.output(x);
        for (int i = 0; i < 3; i++) {
            for (int h = 0; h < 5; h++) {
                assertEquals(x.getDouble(i, 0, 11), out.getDouble(i, h), 1e-6);
            }
        }
    }

    @Test
    void dlinearFromConfigHasTwoMapsAndTbpttIsRejected() {
        MultiLayerNetwork net = NetworkFactory.network(TrainConfig.from(Config.of(config("dlinear"))));
        assertEquals(2 * (2 * 12 * 5) + 5, net.numParams());
        Map<String, String> m = config("nlinear");
        m.put("train.tbptt", "4");
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.from(Config.of(m)));
        assertTrue(e.getMessage().contains("train.tbptt"), e.getMessage());
    }

    @Test
    void saveRestoreRoundTrip(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = NetworkFactory.network(TrainConfig.from(Config.of(config("dlinear"))));
        INDArray x = uniform(new Random(6), 2, 2, 12).castTo(DataType.FLOAT);
        File f = dir.resolve("lin.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(0.0, net.output(x).sub(restored.output(x)).amaxNumber().doubleValue(), 0.0);
        LinearForecastLayer l = (LinearForecastLayer) restored.getLayer(0).conf().getLayer();
        assertEquals(LinearForecastLayer.Kind.DLINEAR, l.getKind());
        assertEquals(12, l.getLookback());
        assertEquals(5, l.getHorizon());
    }
}
