package org.modernbert.core.model;

import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.core.loading.LoadedCheckpoint;

import java.util.ArrayList;
import java.util.List;

/** {@code ModernBertDecoderForCausalLM} on a backend. */
public final class CausalLmModel extends LoadedModel implements CausalLanguageModel {
    public CausalLmModel(LoadedCheckpoint checkpoint, Backend backend, ModelExecutor executor) {
        super(checkpoint, backend, executor);
    }

    @Override
    public CausalLmOutput forward(ForwardRequest request) {
        ForwardPass.Result pass = run(request, ForwardPass.HeadUse.ALL);
        int vocab = config().vocabSize();
        List<FloatMatrix> logits = new ArrayList<>(pass.rows().size());
        for (ForwardPass.Row row : pass.rows()) {
            logits.add(new FloatMatrix(row.logits().length / vocab, vocab, row.logits()));
        }
        Double loss = null;
        double[] perRow = null;
        if (request.labels() != null) {
            double total = 0;
            int count = 0;
            perRow = new double[logits.size()];
            for (int r = 0; r < logits.size(); r++) {
                Losses.NllSum nll = Losses.causalLm(logits.get(r).data(), vocab, request.labels().get(r), r);
                perRow[r] = nll.mean();
                total += nll.sum();
                count += nll.count();
            }
            loss = count == 0 ? Double.NaN : total / count;
        }
        return new CausalLmOutput(List.copyOf(logits), lastHiddenStates(pass), loss, perRow, hiddenStates(pass),
                attentions(pass), pass.pastKeyValues());
    }
}
