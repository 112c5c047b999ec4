package org.modernbert.core.model;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.HeadMode;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.core.loading.LoadedCheckpoint;

import java.util.ArrayList;
import java.util.List;

/** {@code ModernBertDecoderForCausalLM} on a backend. */
public final class CausalLmModel extends LoadedModel implements CausalLanguageModel {
    public CausalLmModel(LoadedCheckpoint checkpoint, Backend backend, ModelExecutor executor) {
        super(checkpoint, backend, executor);
    }

    @Override
    public CausalLmOutput forward(TokenBatch batch) {
        return forward(batch, null);
    }

    @Override
    public CausalLmOutput forward(TokenBatch batch, List<int[]> labels) {
        if (labels != null) {
            checkLabelShapes(batch, labels);
        }
        Pass pass = run(batch, true, HeadMode.ALL);
        int vocab = config().vocabSize();
        List<FloatMatrix> logits = new ArrayList<>(batch.size());
        for (int r = 0; r < batch.size(); r++) {
            logits.add(new FloatMatrix(batch.rowLength(r), vocab, pass.head().get(r)));
        }
        if (labels == null) {
            return new CausalLmOutput(logits, pass.hidden(), null, null);
        }
        double total = 0;
        int count = 0;
        double[] perRow = new double[batch.size()];
        for (int r = 0; r < batch.size(); r++) {
            Losses.NllSum nll = Losses.causalLm(pass.head().get(r), vocab, labels.get(r), r);
            perRow[r] = nll.mean();
            total += nll.sum();
            count += nll.count();
        }
        Double loss = count == 0 ? Double.NaN : total / count;
        return new CausalLmOutput(logits, pass.hidden(), loss, perRow);
    }

    private static void checkLabelShapes(TokenBatch batch, List<int[]> labels) {
        if (labels.size() != batch.size()) {
            throw new ModernBertException("labels have " + labels.size() + " rows but the input has " + batch.size());
        }
        for (int r = 0; r < batch.size(); r++) {
            if (labels.get(r).length != batch.rowLength(r)) {
                throw new ModernBertException("labels row " + r + " has " + labels.get(r).length
                        + " entries but input row " + r + " has " + batch.rowLength(r) + " tokens");
            }
        }
    }
}
