package org.modernbert.api.model;

import java.util.List;

/** {@code ModernBertDecoderForCausalLM}: logits over the vocabulary at every position. */
public interface CausalLanguageModel extends DecoderModel {
    CausalLmOutput forward(TokenBatch batch);

    /**
     * Forward with the causal-LM loss; {@code labels} has one row per input row, the same length,
     * with -100 for ignored positions (label at position t+1 is the target of position t).
     */
    CausalLmOutput forward(TokenBatch batch, List<int[]> labels);
}
