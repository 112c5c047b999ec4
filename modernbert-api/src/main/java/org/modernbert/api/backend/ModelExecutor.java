package org.modernbert.api.backend;

import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.ModelWeights;

import java.util.List;

/**
 * One model loaded on one backend. A step runs the whole network (embeddings, every layer, final
 * norm, optionally the head) for several sequences of different lengths at once, so a device
 * backend can keep activations and caches resident. Executors are not thread-safe; callers
 * serialize steps.
 */
public interface ModelExecutor extends AutoCloseable {
    ModelWeights weights();

    /** A cache for one sequence of at most {@code maxLength} positions. */
    KvCache newCache(int maxLength);

    /**
     * Runs new tokens of each sequence through the model and appends them to the caches.
     *
     * @param steps        the sequences, each with caches made by this executor
     * @param hiddenStates whether to return the final hidden state of every new position
     * @param head         where to apply the head
     */
    StepResult step(List<SequenceStep> steps, boolean hiddenStates, HeadMode head);

    @Override
    void close();
}
