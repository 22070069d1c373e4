package io.tsforge.model;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInitXavier;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the project's hand-written layers ({@link GruLayer}, {@link FusedLstmLayer}, {@link AttentionLayer},
 * {@link LinearForecastLayer}) share as DL4J layer configurations: NCW recurrent input of {@code nIn} features (0 =
 * inferred from the input type), the weight init resolved from the layer, else the network's global one, else XAVIER,
 * and instantiation of the runtime layer ({@link NcwRuntime}) that computes the passes.
 */
public abstract class NcwLayer extends SameDiffLayer {

    protected long nIn;
    /** Resolved weight init (the layer's, else the network's global one); null outside a network: XAVIER. */
    protected IWeightInit weightInitFn;

    /** For JSON deserialisation. */
    protected NcwLayer() {
    }

    protected NcwLayer(SameDiffLayer.Builder<?> b) {
        super(b);
    }

    /** The runtime layer ({@link NcwRuntime}) that computes this layer's passes. */
    protected abstract NcwRuntime newRuntime(NeuralNetConfiguration conf, DataType networkDataType);

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        NcwRuntime layer = newRuntime(conf, networkDataType);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        layer.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    /** The init for parameter {@code key}: its own, else the layer's, else the network's global one, else XAVIER. */
    protected IWeightInit weightInitFor(String key) {
        return paramWeightInit != null && paramWeightInit.containsKey(key) ? paramWeightInit.get(key)
                : weightInit != null ? weightInit.getWeightInitFunction()
                : weightInitFn != null ? weightInitFn : new WeightInitXavier();
    }

    @Override
    public void applyGlobalConfigToLayer(NeuralNetConfiguration.Builder globalConfig) {
        if (weightInitFn == null) {
            weightInitFn = weightInit != null ? weightInit.getWeightInitFunction() : globalConfig.getWeightInitFn();
        }
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        InputType.InputTypeRecurrent in = recurrent(inputType);
        if (nIn <= 0 || override) {
            nIn = in.getSize();
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return InputTypeUtil.getPreprocessorForInputTypeRnnLayers(inputType, RNNFormat.NCW, getLayerName());
    }

    /** The input type as recurrent NCW, else an error naming the layer and what it got. */
    protected InputType.InputTypeRecurrent recurrent(InputType inputType) {
        String name = getClass().getSimpleName() + " (" + getLayerName() + ")";
        if (!(inputType instanceof InputType.InputTypeRecurrent r)) {
            throw new IllegalStateException(name + " needs recurrent input, got " + inputType);
        }
        if (r.getFormat() != null && r.getFormat() != RNNFormat.NCW) {
            throw new IllegalStateException(name + " supports NCW input only, got " + r.getFormat());
        }
        return r;
    }

    public long getNIn() {
        return nIn;
    }

    public void setNIn(long nIn) {
        this.nIn = nIn;
    }

    public IWeightInit getWeightInitFn() {
        return weightInitFn;
    }

    public void setWeightInitFn(IWeightInit weightInitFn) {
        this.weightInitFn = weightInitFn;
    }
}
