package io.tsforge.model;

import static io.tsforge.model.LayerTestArrays.rightPad;
import static io.tsforge.model.LayerTestArrays.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tsforge.config.Config;
import io.tsforge.config.ConfigException;
import io.tsforge.config.TrainConfig;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link RidgeFit} (train.solver=ridge): the solution satisfies the penalised normal equations (checked from the
 * design rows, not from the statistics), the loss computed from the statistics equals the network's own score once the
 * solution is in it, statistics merge like one pass, noiseless linear data are recovered, and the config is checked.
 */
@ExtendWith(DoublePrecision.class)
class RidgeFitTest {

    static final int FEATURES = 2;
    static final int STEPS = 9;
    static final int HORIZON = 3;

    /** Windows whose first two rows are right-padded (histories 5 and 3) and noisy targets. */
    static DataSet batch(Random rnd, int mb) {
        INDArray x = uniform(rnd, mb, FEATURES, STEPS);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, mb, STEPS);
        int[] history = new int[mb];
        java.util.Arrays.fill(history, STEPS);
        history[0] = 5;
        history[1] = 3;
        mask.assign(rightPad(x, history));
        INDArray y = uniform(rnd, mb, HORIZON);
        return new DataSet(x, y, mask, null);
    }

    static MultiLayerNetwork net(LinearForecastLayer.Kind kind) {
        return LinearForecastLayerTest.net(DataType.DOUBLE, kind, FEATURES, STEPS, HORIZON);
    }

    @ParameterizedTest
    @EnumSource(LinearForecastLayer.Kind.class)
    void solutionSatisfiesThePenalisedNormalEquations(LinearForecastLayer.Kind kind) {
        Random rnd = new Random(3);
        List<DataSet> batches = List.of(batch(rnd, 20), batch(rnd, 17));
        RidgeFit.Stats train = RidgeFit.stats(RidgeFit.layer(net(kind)));
        batches.forEach(b -> train.add(b, kind));
        RidgeFit.Stats val = RidgeFit.stats(RidgeFit.layer(net(kind))).add(batch(rnd, 11), kind);
        double lambda = 0.05;
        RidgeFit.Solution s = RidgeFit.solve(train, val, List.of(lambda)).get(0);
        // gradient of sum |t - W^T a - b|^2 + lambda n |W|^2, from the design rows themselves
        INDArray gw = s.weights().mul(2 * lambda * 37);
        INDArray gb = Nd4j.zeros(DataType.DOUBLE, 1, HORIZON);
        for (DataSet b : batches) {
            LinearForecastLayer.Features f = RidgeFit.features(b.getFeatures(), b.getFeaturesMaskArray(), kind);
            INDArray r = b.getLabels().subColumnVector(f.offset()).subi(f.design().mmul(s.weights()))
                    .subiRowVector(s.bias());
            gw.subi(f.design().transpose().mmul(r).muli(2));
            gb.subi(r.sum(true, 0).muli(2));
        }
        assertEquals(0, gw.norm2Number().doubleValue(), 1e-9, "dJ/dW");
        assertEquals(0, gb.norm2Number().doubleValue(), 1e-9, "dJ/db");
    }

    @ParameterizedTest
    @EnumSource(LinearForecastLayer.Kind.class)
    void lossesFromStatisticsEqualTheNetworksScore(LinearForecastLayer.Kind kind) {
        Random rnd = new Random(4);
        DataSet trainBatch = batch(rnd, 40);
        DataSet valBatch = batch(rnd, 15);
        RidgeFit.Stats train = RidgeFit.stats(RidgeFit.layer(net(kind))).add(trainBatch, kind);
        RidgeFit.Stats val = RidgeFit.stats(RidgeFit.layer(net(kind))).add(valBatch, kind);
        for (RidgeFit.Solution s : RidgeFit.solve(train, val, List.of(0.001, 0.1, 10.0))) {
            MultiLayerNetwork net = net(kind);
            RidgeFit.apply(net, s);
            assertEquals(net.score(trainBatch), s.trainLoss(), 1e-10, "train loss, lambda " + s.lambda());
            assertEquals(net.score(valBatch), s.validationLoss(), 1e-10, "validation loss, lambda " + s.lambda());
            INDArray out = net.output(valBatch.getFeatures(), false, valBatch.getFeaturesMaskArray(), null);
            double mse = out.sub(valBatch.getLabels()).norm2Number().doubleValue();
            assertEquals(s.validationLoss(), mse * mse / (15.0 * HORIZON), 1e-10);
        }
    }

    @Test
    void statisticsMergeLikeOnePass() {
        Random rnd = new Random(5);
        DataSet a = batch(rnd, 12);
        DataSet b = batch(rnd, 9);
        LinearForecastLayer.Kind kind = LinearForecastLayer.Kind.NLINEAR;
        RidgeFit.Stats one = RidgeFit.stats(RidgeFit.layer(net(kind))).add(DataSet.merge(List.of(a, b)), kind);
        RidgeFit.Stats merged = RidgeFit.stats(RidgeFit.layer(net(kind))).add(a, kind)
                .merge(RidgeFit.stats(RidgeFit.layer(net(kind))).add(b, kind));
        assertEquals(21, merged.count());
        RidgeFit.Solution x = RidgeFit.solve(one, one, List.of(0.3)).get(0);
        RidgeFit.Solution y = RidgeFit.solve(merged, merged, List.of(0.3)).get(0);
        assertEquals(0, x.weights().sub(y.weights()).norm2Number().doubleValue(), 1e-12);
        assertEquals(x.trainLoss(), y.trainLoss(), 1e-12);
    }

    @ParameterizedTest
    @EnumSource(LinearForecastLayer.Kind.class)
    void recoversNoiselessLinearDataAndPrefersTheSmallestPenalty(LinearForecastLayer.Kind kind) {
        Random rnd = new Random(6);
        MultiLayerNetwork truth = net(kind);
        for (Map.Entry<String, INDArray> p : truth.paramTable().entrySet()) {
            p.getValue().assign(uniform(rnd, p.getValue().shape()));
        }
        DataSet train = batch(rnd, 200);
        train.setLabels(truth.output(train.getFeatures(), false, train.getFeaturesMaskArray(), null));
        DataSet val = batch(rnd, 50);
        val.setLabels(truth.output(val.getFeatures(), false, val.getFeaturesMaskArray(), null));
        RidgeFit.Stats ts = RidgeFit.stats(RidgeFit.layer(truth)).add(train, kind);
        RidgeFit.Stats vs = RidgeFit.stats(RidgeFit.layer(truth)).add(val, kind);
        List<RidgeFit.Solution> all = RidgeFit.solve(ts, vs, List.of(1.0, 1e-9, 0.01));
        RidgeFit.Solution best = RidgeFit.best(all);
        assertEquals(1e-9, best.lambda());
        assertTrue(best.validationLoss() < 1e-12, "validation loss " + best.validationLoss());
        assertTrue(all.get(0).validationLoss() > 1e-3, "a heavy penalty must cost: " + all.get(0).validationLoss());
        MultiLayerNetwork fitted = net(kind);
        RidgeFit.apply(fitted, best);
        INDArray fresh = uniform(rnd, 7, FEATURES, STEPS);
        assertEquals(0, fitted.output(fresh).sub(truth.output(fresh)).norm2Number().doubleValue(), 1e-5);
    }

    @Test
    void rejectsWrongShapesAndPerStepLabels() {
        RidgeFit.Stats s = new RidgeFit.Stats(4, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.add(Nd4j.zeros(DataType.DOUBLE, 3, 5), Nd4j.zeros(DataType.DOUBLE, 3, 2)));
        assertTrue(e.getMessage().contains("[mb, 4]"), e.getMessage());
        DataSet perStep = new DataSet(Nd4j.zeros(DataType.DOUBLE, 2, 1, 4), Nd4j.zeros(DataType.DOUBLE, 2, 2, 4),
                null, Nd4j.ones(DataType.DOUBLE, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> s.add(perStep, LinearForecastLayer.Kind.NLINEAR));
        assertThrows(IllegalArgumentException.class, () -> s.merge(new RidgeFit.Stats(4, 3)));
    }

    @Test
    void configAcceptsRidgeForLinearTypesOnly() {
        Map<String, String> base = with(LinearForecastLayerTest.config("nlinear"), "train.solver", "ridge");
        TrainConfig ok = TrainConfig.from(Config.of(with(base, "model.type", "nlinear")));
        assertEquals(io.tsforge.config.ConfigKeys.Solver.RIDGE, ok.solver());
        assertEquals(11, ok.ridgeLambdas().size());
        ConfigException e = assertThrows(ConfigException.class,
                () -> TrainConfig.from(Config.of(with(base, "model.type", "lstm"))));
        assertTrue(e.getMessage().contains("train.solver") && e.getMessage().contains("lstm"), e.getMessage());
        ConfigException zero = assertThrows(ConfigException.class, () -> TrainConfig.from(Config.of(
                with(with(base, "model.type", "dlinear"), "train.ridgeLambdas", "0.1, 0"))));
        assertTrue(zero.getMessage().contains("train.ridgeLambdas") && zero.getMessage().contains("0"),
                zero.getMessage());
    }

    private static Map<String, String> with(Map<String, String> m, String k, String v) {
        Map<String, String> out = new java.util.HashMap<>(m);
        out.put(k, v);
        return out;
    }
}
