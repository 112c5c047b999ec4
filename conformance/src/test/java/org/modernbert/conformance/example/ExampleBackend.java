package org.modernbert.conformance.example;

import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.DeviceInfo;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;

/**
 * The example backend on its one device. It holds nothing itself (a GPU backend would hold its
 * context and queues here); each {@link #load} makes an independent {@link ExampleExecutor}.
 */
final class ExampleBackend implements Backend {
    private final String name;
    private final Function<ModelWeights, ? extends ModelExecutor> executors;

    ExampleBackend(String name, Function<ModelWeights, ? extends ModelExecutor> executors) {
        this.name = name;
        this.executors = executors;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceInfo device() {
        return ExampleBackendProvider.DEVICE;
    }

    /**
     * F32, and Q8_0 so that {@code --quantize q8_0} can be tried: the executor reads every weight once
     * through {@link org.modernbert.api.tensor.Tensor#getFloat}, which decodes any format. The loader
     * widens BF16 and F16 checkpoints to F32 for it.
     */
    @Override
    public Set<WeightFormat> weightFormats() {
        return EnumSet.of(WeightFormat.F32, WeightFormat.Q8_0);
    }

    @Override
    public ModelExecutor load(ModelWeights weights) {
        return executors.apply(weights);
    }

    @Override
    public void close() {
        // nothing to free: executors own their (heap) copies of the weights
    }
}
