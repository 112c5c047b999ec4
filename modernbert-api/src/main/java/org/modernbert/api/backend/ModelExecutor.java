package org.modernbert.api.backend;

import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.ModelWeights;

import java.util.List;

/**
 * One model loaded on one backend. A step runs the whole network (embeddings, every layer, final
 * norm, the head where asked) for several sequences of different lengths at once, so a device
 * backend can keep activations and caches resident. Executors are not thread-safe: callers
 * serialize calls (the SDK's model classes and generator lock the executor).
 *
 * <p>Life cycle: {@link Backend#load} creates it; {@link #newCache} makes caches, which belong to it
 * and are refused by any other executor; {@link #step} advances them; {@link #close} frees the
 * executor (closing twice is harmless; caches must not be used afterwards).
 */
public interface ModelExecutor extends AutoCloseable {
    ModelWeights weights();

    /** What this executor can take in one step and one cache. */
    ExecutorLimits limits();

    /**
     * The bytes a cache of this spec takes once it holds {@code maxLength} positions, known before it
     * is created: what a scheduler reserves. A backend may allocate less up front and grow to it
     * ({@link KvCache#byteSize()} says what is held now), but never more.
     */
    long cacheBytes(CacheSpec spec);

    /** A cache for one sequence. */
    KvCache newCache(CacheSpec spec);

    /** A cache of at most {@code maxLength} positions and no rollback guarantee. */
    default KvCache newCache(int maxLength) {
        return newCache(CacheSpec.of(maxLength));
    }

    /**
     * Runs the new tokens of each sequence through the model and appends them to the caches. Bad
     * input (ids outside the vocabulary, foreign or shared caches, a cache that would overflow,
     * limits exceeded, a head the weights lack) is refused before any cache changes.
     *
     * @return one output per input, in order
     */
    List<SequenceOutput> step(List<SequenceInput> inputs);

    @Override
    void close();
}
