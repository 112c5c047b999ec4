package org.modernbert.api.backend;

import org.modernbert.api.model.ModelWeights;

/** A compute engine: turns checked weights into an executor for the whole model. */
public interface Backend extends AutoCloseable {
    String name();

    /**
     * Prepares the weights for execution (may keep them in place, repack them, or copy them to a
     * device). The returned executor must be closed before the weights' owner is.
     */
    ModelExecutor load(ModelWeights weights);

    @Override
    void close();
}
