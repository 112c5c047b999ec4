package org.modernbert.api.backend;

import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;

import java.util.Set;

/** A compute engine on one device: turns checked weights into an executor for the whole model. */
public interface Backend extends AutoCloseable {
    String name();

    /** The device this backend runs on. */
    DeviceInfo device();

    /**
     * The weight formats {@link #load} accepts for matrices (linear weights, embeddings, heads).
     * The loader converts anything else to one of these (widening, or quantizing when asked) before
     * calling {@link #load}; norms and biases always reach the backend as plain floats of any format.
     */
    Set<WeightFormat> weightFormats();

    /**
     * Prepares the weights for execution (may keep them in place, repack them, or copy them to a
     * device). The returned executor must be closed before the weights' owner is.
     */
    ModelExecutor load(ModelWeights weights);

    @Override
    void close();
}
