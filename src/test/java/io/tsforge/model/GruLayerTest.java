package io.tsforge.model;

import static io.tsforge.model.LayerTestArrays.rightPad;
import static io.tsforge.model.LayerTestArrays.uniform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link GruLayer}: forward pass against a plain-Java GRU and against the layer's own SameDiff graph, DL4J gradient
 * checks in double precision (single layer, stacked, right-padded mask), mask semantics, configuration and weight
 * init, save/restore, training, input dropout.
 */
@ExtendWith(DoublePrecision.class)
class GruLayerTest {

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * GRU layers of the given sizes (all but the last return sequences; the last one too if lastSeq), then an MSE
     * OutputLayer when horizon > 0. Updater: the given Adam, or NoOp (as gradient checks require).
     */
    private static MultiLayerNetwork net(DataType dt, long seed, int nIn, int t, int horizon, boolean lastSeq,
                                         Adam adam, int... units) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(seed).dataType(dt)
                .updater(adam != null ? adam : new NoOp()).list();
        for (int i = 0; i < units.length; i++) {
            boolean seq = i < units.length - 1 || lastSeq;
            list.layer(i == 0 ? new GruLayer(nIn, units[i], seq) : new GruLayer(0, units[i], seq));
        }
        if (horizon > 0) {
            list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(horizon)
                    .activation(Activation.IDENTITY).build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.setInputType(InputType.recurrent(nIn, t, RNNFormat.NCW))
                .build());
        net.init();
        return net;
    }



    /** Example i's first h steps as a [1, nIn, h] array. */
    private static INDArray prefix(INDArray x, int i, int h) {
        return x.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all(), NDArrayIndex.interval(0, h)).dup();
    }

    private static double maxAbsDiff(INDArray a, INDArray b) {
        assertArrayEquals(a.shape(), b.shape());
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /**
     * The documented GRU in plain doubles, gate blocks [r | z | n]: w [nIn][3n], rw [n][3n], b, rb [3n];
     * x [nIn][T]; mask [T] (0 = keep the previous state). Returns h [T+1][n] with h[0] = 0.
     */
    private static double[][] referenceGru(double[][] w, double[][] rw, double[] b, double[] rb, double[][] x,
                                           double[] mask) {
        int nIn = w.length;
        int n = rw.length;
        int steps = x[0].length;
        double[][] h = new double[steps + 1][n];
        for (int t = 0; t < steps; t++) {
            double[] prev = h[t];
            double[] gi = new double[3 * n];
            double[] gh = new double[3 * n];
            for (int c = 0; c < 3 * n; c++) {
                gi[c] = b[c];
                for (int i = 0; i < nIn; i++) {
                    gi[c] += x[i][t] * w[i][c];
                }
                gh[c] = rb[c];
                for (int k = 0; k < n; k++) {
                    gh[c] += prev[k] * rw[k][c];
                }
            }
            for (int j = 0; j < n; j++) {
                double r = sigmoid(gi[j] + gh[j]);
                double z = sigmoid(gi[n + j] + gh[n + j]);
                double cand = Math.tanh(gi[2 * n + j] + r * gh[2 * n + j]);
                double next = (1 - z) * cand + z * prev[j];
                h[t + 1][j] = mask[t] * next + (1 - mask[t]) * prev[j];
            }
        }
        return h;
    }

    private static double[][] randomMatrix(Random rnd, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = 2 * rnd.nextDouble() - 1;
            }
        }
        return m;
    }

    private static void setGruParams(MultiLayerNetwork net, int layer, double[][] w, double[][] rw, double[] b,
                                     double[] rb) {
        DataType dt = net.params().dataType();
        net.getParam(layer + "_W").assign(Nd4j.create(w).castTo(dt));
        net.getParam(layer + "_RW").assign(Nd4j.create(rw).castTo(dt));
        net.getParam(layer + "_b").assign(Nd4j.create(b).castTo(dt));
        net.getParam(layer + "_rb").assign(Nd4j.create(rb).castTo(dt));
    }

    // ------------------------------------------------------------------------------------------------ 1. forward

    @Test
    void forwardPassEqualsHandComputedGru() {
        int nIn = 2;
        int n = 3;
        int steps = 3;
        Random rnd = new Random(7);
        double[][] w = randomMatrix(rnd, nIn, 3 * n);
        double[][] rw = randomMatrix(rnd, n, 3 * n);
        double[] b = randomMatrix(rnd, 1, 3 * n)[0];
        double[] rb = randomMatrix(rnd, 1, 3 * n)[0];
        double[][][] xs = {randomMatrix(rnd, nIn, steps), randomMatrix(rnd, nIn, steps)};
        double[][] masks = {{1, 1, 1}, {1, 1, 0}};   // example 1: history 2, right-padded

        MultiLayerNetwork seqNet = net(DataType.DOUBLE, 1, nIn, steps, 0, true, null, n);
        MultiLayerNetwork lastNet = net(DataType.DOUBLE, 2, nIn, steps, 0, false, null, n);
        assertEquals(GruLayer.parameterCount(nIn, n), seqNet.numParams());
        assertEquals(3L * n * (nIn + n + 2), seqNet.numParams());
        setGruParams(seqNet, 0, w, rw, b, rb);
        setGruParams(lastNet, 0, w, rw, b, rb);

        INDArray x = Nd4j.create(xs);               // [2, nIn, T]
        INDArray mask = Nd4j.create(masks);         // [2, T]
        INDArray seqNoMask = seqNet.output(x);
        INDArray lastNoMask = lastNet.output(x);
        INDArray seqMasked = seqNet.output(x, false, mask, null);
        INDArray lastMasked = lastNet.output(x, false, mask, null);
        assertArrayEquals(new long[]{2, n, steps}, seqMasked.shape());
        assertArrayEquals(new long[]{2, n}, lastMasked.shape());

        double maxErr = 0;
        for (int e = 0; e < 2; e++) {
            double[][] hFull = referenceGru(w, rw, b, rb, xs[e], new double[]{1, 1, 1});
            double[][] hMasked = referenceGru(w, rw, b, rb, xs[e], masks[e]);
            int lastReal = e == 0 ? steps : 2;
            for (int j = 0; j < n; j++) {
                for (int t = 0; t < steps; t++) {
                    maxErr = Math.max(maxErr, Math.abs(hFull[t + 1][j] - seqNoMask.getDouble(e, j, t)));
                    double expected = masks[e][t] == 0 ? 0.0 : hMasked[t + 1][j]; // padded steps output 0
                    maxErr = Math.max(maxErr, Math.abs(expected - seqMasked.getDouble(e, j, t)));
                }
                maxErr = Math.max(maxErr, Math.abs(hFull[steps][j] - lastNoMask.getDouble(e, j)));
                maxErr = Math.max(maxErr, Math.abs(hFull[lastReal][j] - lastMasked.getDouble(e, j)));
            }
        }
        System.out.printf("GruLayerTest forward: max |DL4J - hand-computed| = %.3e%n", maxErr);
        assertTrue(maxErr < 1e-5, "forward pass differs from the hand-computed GRU by " + maxErr);
        // the padded step really matters: example 1's full-length state differs from its state at step 2
        assertTrue(Math.abs(lastNoMask.getDouble(1, 0) - lastMasked.getDouble(1, 0)) > 1e-3);
    }

    // ------------------------------------------------------------------------------------------------ 2. gradients

    private static void gradientCheck(String label, MultiLayerNetwork net, INDArray x, INDArray y, INDArray mask) {
        // Start from non-zero biases so that their gradients are exercised in a generic point.
        Random rnd = new Random(3);
        for (int i = 0; i < net.getnLayers() - 1; i++) {
            net.getParam(i + "_b").assign(uniform(rnd, DataType.DOUBLE, 0.5, net.getParam(i + "_b").shape()));
            net.getParam(i + "_rb").assign(uniform(rnd, DataType.DOUBLE, 0.5, net.getParam(i + "_rb").shape()));
        }
        System.out.println("GruLayerTest gradient check: " + label + " (" + net.numParams() + " params)");
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .inputMask(mask).epsilon(1e-6).maxRelError(1e-6).minAbsoluteError(1e-10)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
        assertTrue(ok, "gradient check failed: " + label);
    }

    @Test
    void gradientCheckSingleLayer() {
        Random rnd = new Random(11);
        MultiLayerNetwork net = net(DataType.DOUBLE, 12345, 3, 5, 2, false, null, 4);
        gradientCheck("GruLayer(3->4, last) + OutputLayer(MSE)", net, uniform(rnd, DataType.DOUBLE, 1, 3, 3, 5),
                uniform(rnd, DataType.DOUBLE, 1, 3, 2), null);
    }

    @Test
    void gradientCheckStacked() {
        Random rnd = new Random(12);
        MultiLayerNetwork net = net(DataType.DOUBLE, 12346, 3, 5, 2, false, null, 4, 3);
        gradientCheck("GruLayer(3->4, seq) + GruLayer(4->3, last) + OutputLayer(MSE)", net,
                uniform(rnd, DataType.DOUBLE, 1, 3, 3, 5), uniform(rnd, DataType.DOUBLE, 1, 3, 2), null);
    }

    @Test
    void gradientCheckStackedWithRightPaddedMask() {
        Random rnd = new Random(13);
        MultiLayerNetwork net = net(DataType.DOUBLE, 12347, 3, 5, 2, false, null, 4, 3);
        INDArray x = uniform(rnd, DataType.DOUBLE, 1, 4, 3, 5);
        INDArray mask = rightPad(x, 5, 3, 1, 4);
        gradientCheck("stacked GRUs, features mask with histories 5,3,1,4 of 5", net, x,
                uniform(rnd, DataType.DOUBLE, 1, 4, 2), mask);
    }

    // ------------------------------------------------------------------------------------------------ 3. masks

    @Test
    void allOnesMaskEqualsNoMask() {
        Random rnd = new Random(21);
        MultiLayerNetwork net = net(DataType.FLOAT, 21, 2, 7, 3, false, null, 5, 4);
        INDArray x = uniform(rnd, DataType.FLOAT, 1, 6, 2, 7);
        INDArray ones = Nd4j.ones(DataType.FLOAT, 6, 7);
        assertEquals(0.0, maxAbsDiff(net.output(x), net.output(x, false, ones, null)), 1e-7);

        MultiLayerNetwork seq = net(DataType.FLOAT, 22, 2, 7, 0, true, null, 5);
        assertEquals(0.0, maxAbsDiff(seq.output(x), seq.output(x, false, ones, null)), 1e-7);
    }

    @Test
    void rightPaddedWindowEqualsItsUnpaddedPrefix() {
        int nIn = 2;
        int t = 8;
        int[] history = {8, 5, 2};
        Random rnd = new Random(31);
        MultiLayerNetwork net = net(DataType.FLOAT, 31, nIn, t, 3, false, null, 6, 5);
        INDArray x = uniform(rnd, DataType.FLOAT, 1, history.length, nIn, t);
        INDArray mask = rightPad(x, history);      // zeros after each history, as Tensors builds them
        INDArray padded = net.output(x, false, mask, null);
        INDArray unmasked = net.output(x);

        // garbage in the padded steps must not matter either
        INDArray garbage = x.dup();
        for (int i = 0; i < history.length; i++) {
            if (history[i] < t) {
                garbage.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.interval(history[i], t))
                        .assign(uniform(rnd, DataType.FLOAT, 5, nIn, t - history[i]));
            }
        }
        assertEquals(0.0, maxAbsDiff(padded, net.output(garbage, false, mask, null)), 1e-6);

        for (int i = 0; i < history.length; i++) {
            int h = history[i];
            MultiLayerNetwork shortNet = net(DataType.FLOAT, 99, nIn, h, 3, false, null, 6, 5);
            shortNet.setParams(net.params());
            INDArray expected = shortNet.output(prefix(x, i, h));
            INDArray actual = padded.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all());
            assertEquals(0.0, maxAbsDiff(expected, actual), 1e-6, "example " + i + " (history " + h + ")");
            // the layer has no fixed length: the same network on the unpadded prefix agrees too
            assertEquals(0.0, maxAbsDiff(expected, net.output(prefix(x, i, h))), 1e-6);
            if (h < t) {   // without the mask the padding would be read as data
                assertTrue(maxAbsDiff(expected, unmasked.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all()))
                        > 1e-4, "the mask should matter for example " + i);
            }
        }

        // returnSequence=true: real steps equal the unpadded run, padded steps are 0
        MultiLayerNetwork seq = net(DataType.FLOAT, 32, nIn, t, 0, true, null, 4);
        MultiLayerNetwork seqShort = net(DataType.FLOAT, 33, nIn, 5, 0, true, null, 4);
        seqShort.setParams(seq.params());
        INDArray seqOut = seq.output(x, false, mask, null);
        INDArray real = seqOut.get(NDArrayIndex.interval(1, 2), NDArrayIndex.all(), NDArrayIndex.interval(0, 5));
        assertEquals(0.0, maxAbsDiff(seqShort.output(prefix(x, 1, 5)), real), 1e-6);
        assertEquals(0.0, seqOut.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(5, t))
                .amaxNumber().doubleValue());
    }

    @Test
    void forwardPassEqualsTheSameDiffGraphOfDefineLayer() {
        int nIn = 3;
        int t = 6;
        Random rnd = new Random(41);
        INDArray x = uniform(rnd, DataType.DOUBLE, 1, 4, nIn, t);
        INDArray mask = rightPad(x, 6, 2, 4, 6);
        mask.putScalar(3, 2, 0.0);                 // and a hole in the middle of example 3
        for (boolean seq : new boolean[]{false, true}) {
            MultiLayerNetwork net = net(DataType.DOUBLE, 42, nIn, t, 0, seq, null, 5);
            net.params().assign(uniform(rnd, DataType.DOUBLE, 0.8, net.params().shape()));
            SameDiff sd = SameDiff.create();
            SDVariable in = sd.placeHolder("input", DataType.DOUBLE, -1, nIn, t);
            SDVariable mk = sd.placeHolder("mask", DataType.DOUBLE, -1, t);
            Map<String, SDVariable> p = new HashMap<>();
            for (String k : new String[]{GruLayer.WEIGHT_KEY, GruLayer.RECURRENT_WEIGHT_KEY, GruLayer.BIAS_KEY,
                    GruLayer.RECURRENT_BIAS_KEY}) {
                p.put(k, sd.var(k, net.getParam("0_" + k).dup()));
            }
            SDVariable out = ((GruLayer) net.getLayer(0).conf().getLayer()).defineLayer(sd, in, p, mk);
            INDArray graph = sd.output(Map.of("input", x, "mask", mask), out.name()).get(out.name());
            double diff = maxAbsDiff(graph, net.output(x, false, mask, null));
            System.out.printf("GruLayerTest SameDiff graph vs layer (returnSequence=%s): max diff %.3e%n", seq, diff);
            assertEquals(0.0, diff, 1e-12);
            assertTrue(graph.amaxNumber().doubleValue() > 0.05, "degenerate comparison");
        }
    }

    // ------------------------------------------------------------------------------------------------ 4. config, save, train

    @Test
    void configurationShapesAndWeightInit() throws Exception {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).weightInit(WeightInit.ZERO).list()
                .layer(GruLayer.builder().nOut(4).returnSequence(true).weightInit(WeightInit.XAVIER).build())
                .layer(new GruLayer(0, 3, false))   // inherits the global ZERO init
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(5, 9, RNNFormat.NCW)).build();
        GruLayer first = (GruLayer) conf.getConf(0).getLayer();
        GruLayer second = (GruLayer) conf.getConf(1).getLayer();
        assertEquals(5, first.getNIn());
        assertEquals(4, second.getNIn());
        assertEquals(InputType.recurrent(4, 9, RNNFormat.NCW), first.getOutputType(0, InputType.recurrent(5, 9)));
        assertEquals(InputType.feedForward(3), second.getOutputType(1, InputType.recurrent(4, 9)));
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));

        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        assertEquals(GruLayer.parameterCount(5, 4) + GruLayer.parameterCount(4, 3) + 3 * 2 + 2, net.numParams());
        // XAVIER per gate block: std = sqrt(2 / (fanIn + nOut)) = sqrt(2/9) for W of the first layer
        double std = net.getParam("0_W").stdNumber().doubleValue();
        assertTrue(std > 0.25 && std < 0.7, "first layer W std " + std);
        assertEquals(0.0, net.getParam("1_W").amaxNumber().doubleValue());
        assertEquals(0.0, net.getParam("0_b").amaxNumber().doubleValue());
        assertArrayEquals(new long[]{7, 2}, net.output(Nd4j.rand(DataType.FLOAT, 7, 5, 9)).shape());
    }

    @Test
    void saveRestoreRoundTrip(@TempDir Path dir) throws Exception {
        Random rnd = new Random(51);
        MultiLayerNetwork net = net(DataType.FLOAT, 51, 2, 6, 3, false, new Adam(1e-2), 5, 4);
        INDArray x = uniform(rnd, DataType.FLOAT, 1, 4, 2, 6);
        INDArray mask = rightPad(x, 6, 4, 6, 2);
        INDArray y = uniform(rnd, DataType.FLOAT, 1, 4, 3);
        net.fit(new org.nd4j.linalg.dataset.DataSet(x, y, mask, null)); // so the updater has state to save

        File f = dir.resolve("gru.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(f, true);

        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        GruLayer l0 = (GruLayer) restored.getLayer(0).conf().getLayer();
        GruLayer l1 = (GruLayer) restored.getLayer(1).conf().getLayer();
        assertEquals(2, l0.getNIn());
        assertEquals(5, l0.getNOut());
        assertTrue(l0.isReturnSequence());
        assertEquals(5, l1.getNIn());
        assertEquals(4, l1.getNOut());
        assertFalse(l1.isReturnSequence());
        assertEquals(net.params(), restored.params());
        assertEquals(0.0, maxAbsDiff(net.output(x, false, mask, null), restored.output(x, false, mask, null)));
        assertEquals(0.0, maxAbsDiff(net.output(x), restored.output(x)));
        assertEquals(0.0, maxAbsDiff(net.output(x, false, mask, null), net.clone().output(x, false, mask, null)));

        // the updater state came back too: one more identical step keeps the two networks equal
        net.fit(new org.nd4j.linalg.dataset.DataSet(x, y, mask, null));
        restored.fit(new org.nd4j.linalg.dataset.DataSet(x, y, mask, null));
        assertEquals(0.0, maxAbsDiff(net.params(), restored.params()), 1e-7);
    }

    @Test
    void learnsTheSumOfItsInputs() {
        int t = 10;
        Random rnd = new Random(61);
        MultiLayerNetwork net = net(DataType.FLOAT, 61, 1, t, 1, false, new Adam(1e-2), 16);
        INDArray xTest = uniform(rnd, DataType.FLOAT, 0.5, 128, 1, t);
        INDArray yTest = xTest.sum(2);               // [128, 1]
        double before = net.score(new org.nd4j.linalg.dataset.DataSet(xTest, yTest));
        for (int i = 0; i < 300; i++) {
            INDArray x = uniform(rnd, DataType.FLOAT, 0.5, 32, 1, t);
            net.fit(x, x.sum(2));
        }
        double after = net.score(new org.nd4j.linalg.dataset.DataSet(xTest, yTest));
        System.out.printf("GruLayerTest training: held-out MSE %.5f -> %.5f after 300 iterations (%.2f%% lower)%n",
                before, after, 100 * (1 - after / before));
        assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
    }

    @Test
    void inputDropoutOnlyActsInTraining() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(71).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).list()
                .layer(GruLayer.builder().nOut(6).returnSequence(false).dropOut(0.7).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(2, 5, RNNFormat.NCW)).build();
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random rnd = new Random(72);
        INDArray x = uniform(rnd, DataType.FLOAT, 1, 8, 2, 5);
        INDArray inference = net.output(x, false);
        assertEquals(0.0, maxAbsDiff(inference, net.output(x, false)));
        assertTrue(maxAbsDiff(inference, net.output(x, true)) > 1e-4, "dropout should change the training pass");
        INDArray before = net.params().dup();
        net.fit(x, uniform(rnd, DataType.FLOAT, 1, 8, 1));
        assertTrue(maxAbsDiff(before, net.params()) > 0);
    }
}
