package io.tsforge.model;

import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInitXavier;

/**
 * What the project's hand-written layers ({@link GruLayer}, {@link FusedLstmLayer}, {@link AttentionLayer}) share as
 * DL4J layer configurations: NCW recurrent input of {@code nIn} features (0 = inferred from the input type), and the
 * weight init resolved from the layer, else the network's global one, else XAVIER.
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
