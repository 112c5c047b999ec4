package org.modernbert.core.model;

import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.HeadMode;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceStep;
import org.modernbert.api.backend.StepResult;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.BaseModelOutput;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.core.loading.LoadedCheckpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * A checkpoint loaded on a backend: owns the mapped weights, the backend and its executor, and
 * closes them in reverse order. Subclasses add the head-specific outputs.
 */
public abstract sealed class LoadedModel implements DecoderModel permits BaseDecoderModel, CausalLmModel, ClassifierModel {
    private final LoadedCheckpoint checkpoint;
    private final Backend backend;
    private final ModelExecutor executor;
    private boolean closed;

    LoadedModel(LoadedCheckpoint checkpoint, Backend backend, ModelExecutor executor) {
        this.checkpoint = checkpoint;
        this.backend = backend;
        this.executor = executor;
    }

    @Override
    public ModernBertDecoderConfig config() {
        return checkpoint.config();
    }

    @Override
    public String backendName() {
        return backend.name();
    }

    @Override
    public ModelExecutor executor() {
        return executor;
    }

    @Override
    public BaseModelOutput forwardHidden(TokenBatch batch) {
        return new BaseModelOutput(run(batch, true, HeadMode.NONE).hidden());
    }

    /** Outputs of one uncached pass over a ragged batch: per row hidden states and/or head outputs. */
    record Pass(List<FloatMatrix> hidden, List<float[]> head) {
    }

    /** Runs every row from position 0 with throw-away caches, in one executor step. */
    final Pass run(TokenBatch batch, boolean hiddenStates, HeadMode head) {
        InputValidation.check(batch, config());
        List<KvCache> caches = new ArrayList<>(batch.size());
        try {
            List<SequenceStep> steps = new ArrayList<>(batch.size());
            for (int[] row : batch.rows()) {
                KvCache cache = executor.newCache(row.length);
                caches.add(cache);
                steps.add(new SequenceStep(cache, row));
            }
            StepResult result;
            synchronized (executor) {
                result = executor.step(steps, hiddenStates, head);
            }
            List<FloatMatrix> hidden = new ArrayList<>(batch.size());
            if (hiddenStates) {
                int h = config().hiddenSize();
                for (int r = 0; r < batch.size(); r++) {
                    hidden.add(new FloatMatrix(batch.rowLength(r), h, result.hiddenStates().get(r)));
                }
            }
            return new Pass(hidden, head == HeadMode.NONE ? List.of() : result.headOutputs());
        } finally {
            caches.forEach(KvCache::close);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            executor.close();
        } finally {
            try {
                backend.close();
            } finally {
                checkpoint.close();
            }
        }
    }
}
