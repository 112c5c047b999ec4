package org.modernbert.core.model;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.AttentionWeights;
import org.modernbert.api.model.BaseModelOutput;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.ForwardRequest;
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
    public BaseModelOutput forwardHidden(ForwardRequest request) {
        if (request.labels() != null) {
            throw new ModernBertException("labels need a head: load the model as a causal LM for the loss");
        }
        ForwardPass.Result r = run(request, ForwardPass.HeadUse.NONE);
        return new BaseModelOutput(lastHiddenStates(r), hiddenStates(r), attentions(r), r.pastKeyValues());
    }

    /** Runs a forward on this model's executor. */
    final ForwardPass.Result run(ForwardRequest request, ForwardPass.HeadUse head) {
        return new ForwardPass(executor, config()).run(request, head);
    }

    final List<FloatMatrix> lastHiddenStates(ForwardPass.Result r) {
        int h = config().hiddenSize();
        List<FloatMatrix> out = new ArrayList<>(r.rows().size());
        for (ForwardPass.Row row : r.rows()) {
            out.add(new FloatMatrix(row.lastHidden().length / h, h, row.lastHidden()));
        }
        return List.copyOf(out);
    }

    /** [layer][row], or null when not asked for. */
    final List<List<FloatMatrix>> hiddenStates(ForwardPass.Result r) {
        if (r.rows().getFirst().hiddenStates() == null) {
            return null;
        }
        int h = config().hiddenSize();
        List<List<FloatMatrix>> layers = new ArrayList<>();
        for (int l = 0; l <= config().numHiddenLayers(); l++) {
            List<FloatMatrix> rows = new ArrayList<>(r.rows().size());
            for (ForwardPass.Row row : r.rows()) {
                float[] data = row.hiddenStates().get(l);
                rows.add(new FloatMatrix(data.length / h, h, data));
            }
            layers.add(List.copyOf(rows));
        }
        return List.copyOf(layers);
    }

    /** [layer][row], or null when not asked for. */
    final List<List<AttentionWeights>> attentions(ForwardPass.Result r) {
        if (r.rows().getFirst().attentions() == null) {
            return null;
        }
        int heads = config().numAttentionHeads();
        List<List<AttentionWeights>> layers = new ArrayList<>();
        for (int l = 0; l < config().numHiddenLayers(); l++) {
            List<AttentionWeights> rows = new ArrayList<>(r.rows().size());
            for (ForwardPass.Row row : r.rows()) {
                float[] data = row.attentions().get(l);
                rows.add(new AttentionWeights(heads, data.length / heads / row.keys(), row.keys(), data));
            }
            layers.add(List.copyOf(rows));
        }
        return List.copyOf(layers);
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
