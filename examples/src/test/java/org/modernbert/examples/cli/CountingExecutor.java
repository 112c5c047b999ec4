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

/** A real executor that counts what it is asked to compute: steps, sequences and tokens per step. */
final class CountingExecutor implements ModelExecutor {
    private final ModelExecutor delegate;
    final List<Integer> stepTokens = new ArrayList<>();
    final List<Integer> stepSequences = new ArrayList<>();

    CountingExecutor(ModelExecutor delegate) {
        this.delegate = delegate;
    }

    @Override
    public ModelWeights weights() {
        return delegate.weights();
    }

    @Override
    public ExecutorLimits limits() {
        return delegate.limits();
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
        stepSequences.add(inputs.size());
        stepTokens.add(inputs.stream().mapToInt(SequenceInput::length).sum());
        return delegate.step(inputs);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
