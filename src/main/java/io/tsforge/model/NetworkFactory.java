package io.tsforge.model;

import io.tsforge.config.ConfigKeys;
import io.tsforge.config.TrainConfig;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * Builds the forecaster from config. {@code nlinear} and {@code dlinear}: one {@link LinearForecastLayer} (the window
 * mapped linearly to the horizon) and an MSE loss. Otherwise stacked recurrent layers ({@code rnn}: DL4J's SimpleRnn, {@code lstm},
 * {@code gru}: the project's {@link GruLayer}, {@code lstm_attention}: LSTM then self-attention over its steps and max
 * pooling) over a window [features, lookback] and a direct multi-step head giving all {@code horizon} steps at once.
 * With {@code model.lstmImplementation=fused} the LSTM layers are the project's {@link FusedLstmLayer} (hand-written
 * BLAS passes) instead of DL4J's {@code LSTM}; like the GRU, the last one then reads each window's last real step itself.
 *
 * <p>Two heads: with full BPTT the last recurrent layer is wrapped in {@link LastTimeStep} (which, given a mask,
 * reads each example's last real step) and a dense {@link OutputLayer} maps it to the horizon. DL4J cannot truncate
 * BPTT through such a head, so with {@code train.tbptt > 0} the network instead ends in an {@link RnnOutputLayer}
 * trained on every step's next {@code horizon} values; at inference the last step's output is the forecast.
 */
public final class NetworkFactory {

    private NetworkFactory() {
    }

    public static MultiLayerNetwork network(TrainConfig cfg) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(cfg));
        net.init();
        return net;
    }

    public static MultiLayerConfiguration configuration(TrainConfig cfg) {
        TrainConfig.ModelSpec m = cfg.model();
        TrainConfig.OptimSpec o = cfg.optim();
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder()
                .seed(cfg.seed())
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.valueOf(m.weightInit().name()))
                .updater(updater(o, cfg.epochs()));
        if (m.l2() > 0) {
            b.l2(m.l2());
        }
        if (o.clip() != ConfigKeys.GradientClip.NONE) {
            b.gradientNormalization(o.clip() == ConfigKeys.GradientClip.VALUE
                            ? GradientNormalization.ClipElementWiseAbsoluteValue : GradientNormalization.ClipL2PerLayer)
                    .gradientNormalizationThreshold(o.clipThreshold());
        }
        boolean perStep = o.tbptt() > 0;
        NeuralNetConfiguration.ListBuilder list = b.list();
        if (m.type().linear()) {
            // one linear map from the whole window to the horizon (Zeng et al. 2023), then the MSE loss
            list.layer(new LinearForecastLayer(m.type() == ConfigKeys.ModelType.NLINEAR
                    ? LinearForecastLayer.Kind.NLINEAR : LinearForecastLayer.Kind.DLINEAR, cfg.featureCount(),
                    cfg.lookback(), cfg.horizon()));
            list.layer(new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build());
            list.setInputType(InputType.recurrent(cfg.featureCount(), cfg.lookback(), RNNFormat.NCW));
            return list.build();
        }
        boolean attention = m.type() == ConfigKeys.ModelType.LSTM_ATTENTION;
        for (int i = 0; i < m.layers(); i++) {
            boolean last = i == m.layers() - 1;
            int nIn = i == 0 ? cfg.featureCount() : m.units();
            if (m.type() == ConfigKeys.ModelType.GRU) {
                // the GRU layer reads each window's last real step itself when it is the last recurrent layer
                GruLayer gru = new GruLayer(nIn, m.units(), !last);
                if (m.dropout() > 0) {
                    gru.setIDropout(new org.deeplearning4j.nn.conf.dropout.Dropout(1.0 - m.dropout()));
                }
                list.layer(gru);
                continue;
            }
            if (m.lstmImplementation() == ConfigKeys.LstmImplementation.FUSED
                    && (m.type() == ConfigKeys.ModelType.LSTM || attention)) {
                // like the GRU, the fused LSTM reads each window's last real step itself; attention needs every step
                FusedLstmLayer lstm = new FusedLstmLayer(nIn, m.units(), !last || attention);
                if (m.dropout() > 0) {
                    lstm.setIDropout(new org.deeplearning4j.nn.conf.dropout.Dropout(1.0 - m.dropout()));
                }
                list.layer(lstm);
                continue;
            }
            Layer layer = recurrentLayer(m, nIn);
            list.layer(last && !perStep && !attention ? new LastTimeStep(layer) : layer);
        }
        if (attention) {
            // LSTMa: attention over all of the LSTM's time steps (masked steps excluded), queried by the last state;
            // the head sees [context | last state]. Not DL4J's SelfAttentionLayer: its gradients are wrong in M2.
            list.layer(new AttentionLayer(m.units()));
        }
        if (perStep) {
            list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(cfg.horizon())
                    .activation(Activation.IDENTITY).dataFormat(RNNFormat.NCW).build());
        } else {
            list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(cfg.horizon())
                    .activation(Activation.IDENTITY).build());
        }
        list.setInputType(InputType.recurrent(cfg.featureCount(), cfg.lookback(), RNNFormat.NCW));
        if (perStep) {
            return list.backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(o.tbptt())
                    .tBPTTBackwardLength(o.tbptt()).build();
        }
        return list.build();
    }

    private static Layer recurrentLayer(TrainConfig.ModelSpec m, int nIn) {
        switch (m.type()) {
            case RNN -> {
                SimpleRnn.Builder rb = new SimpleRnn.Builder().nIn(nIn).nOut(m.units()).activation(Activation.TANH);
                if (m.dropout() > 0) {
                    rb.dropOut(1.0 - m.dropout());
                }
                return rb.build();
            }
            case LSTM, LSTM_ATTENTION -> {
                LSTM.Builder lb = new LSTM.Builder().nIn(nIn).nOut(m.units()).activation(Activation.TANH);
                if (m.dropout() > 0) {
                    lb.dropOut(1.0 - m.dropout()); // DL4J takes the probability of keeping an input
                }
                return lb.build();
            }
            default -> throw new IllegalArgumentException("model.type " + m.type() + " is not supported");
        }
    }

    static IUpdater updater(TrainConfig.OptimSpec o, int epochs) {
        ISchedule schedule = switch (o.schedule()) {
            case NONE -> null;
            case STEP -> new StepSchedule(ScheduleType.EPOCH, o.learningRate(), o.lrDecay(), o.lrStepEpochs());
            case EXPONENTIAL -> new ExponentialSchedule(ScheduleType.EPOCH, o.learningRate(), o.lrDecay());
            case COSINE -> new CosineSchedule(ScheduleType.EPOCH, o.learningRate(), o.learningRate() * o.lrDecay(),
                    epochs);
        };
        return switch (o.updater()) {
            case ADAM -> schedule == null ? new Adam(o.learningRate()) : new Adam(schedule);
            case RMSPROP -> schedule == null ? new RmsProp(o.learningRate()) : new RmsProp(schedule);
            case SGD -> schedule == null ? new Sgd(o.learningRate()) : new Sgd(schedule);
        };
    }
}
