package org.modernbert.examples.cli;

import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * A real executor that counts what it is asked to compute (steps, sequences and tokens per step),
 * optionally reporting and enforcing smaller limits than the real one, so callers' batch planning
 * can be tested.
 */
final class CountingExecutor implements ModelExecutor {
    private final ModelExecutor delegate;
    private final ExecutorLimits limits;
    final List<Integer> stepTokens = new ArrayList<>();
    final List<Integer> stepSequences = new ArrayList<>();

    CountingExecutor(ModelExecutor delegate) {
        this(delegate, delegate.limits());
    }

    CountingExecutor(ModelExecutor delegate, int maxSequences, int maxTokens) {
        this(delegate, new ExecutorLimits(maxSequences, maxTokens, delegate.limits().maxCachePositions(),
                delegate.limits().cacheBytesPerPosition()));
    }

    private CountingExecutor(ModelExecutor delegate, ExecutorLimits limits) {
        this.delegate = delegate;
        this.limits = limits;
    }

    @Override
    public ModelWeights weights() {
        return delegate.weights();
    }

    @Override
    public ExecutorLimits limits() {
        return limits;
    }

    @Override
    public long cacheBytes(CacheSpec spec) {
        return delegate.cacheBytes(spec);
    }

    @Override
    public KvCache newCache(CacheSpec spec) {
        return delegate.newCache(spec);
    }

    @Override
    public List<SequenceOutput> step(List<SequenceInput> inputs) {
        int tokens = inputs.stream().mapToInt(SequenceInput::length).sum();
        if (inputs.size() > limits.maxSequencesPerStep() || tokens > limits.maxTokensPerStep()) {
            throw new AssertionError("a step of " + inputs.size() + " sequences / " + tokens + " tokens exceeds " + limits);
        }
        stepSequences.add(inputs.size());
        stepTokens.add(tokens);
        return delegate.step(inputs);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
