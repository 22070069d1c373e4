package io.tsforge.model;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The runtime side the hand-written layers ({@link NcwLayer}s) share: DL4J's activate/backprop contract around passes
 * computed directly with ND4J. Input dropout is applied (when configured), the passes run outside DL4J's workspaces,
 * their results are copied into the workspace DL4J asks for, and every parameter's gradient (left in
 * {@code gradTable} by {@link #backward}) is handed back.
 */
public abstract class NcwRuntime extends org.deeplearning4j.nn.layers.samediff.SameDiffLayer {

    protected NcwRuntime(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** Checks the current input (and mask) before either pass; nothing by default. */
    protected void validate() {
    }

    /** The forward pass over {@code input} and {@code maskArray}; {@code training}: a backward pass may follow. */
    protected abstract INDArray forward(boolean training);

    /** The backward pass: fills {@code gradTable} and returns the gradient with respect to the input. */
    protected abstract INDArray backward(INDArray epsilon);

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        validate();
        INDArray out;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            out = forward(training);
        }
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        validate();
        INDArray epsOut;
        Gradient g = new DefaultGradient();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            epsOut = backward(epsilon);
            for (String key : paramTable.keySet()) {
                g.gradientForVariable().put(key, gradTable.get(key));
            }
        }
        return new Pair<>(g, backpropDropOutIfPresent(workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, epsOut)));
    }
}
