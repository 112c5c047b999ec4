package org.modernbert.api.model;

/** {@code ModernBertDecoderForCausalLM}: logits over the vocabulary at every position. */
public interface CausalLanguageModel extends DecoderModel {
    /** A ragged batch, logits and last hidden states of every position. */
    default CausalLmOutput forward(TokenBatch batch) {
        return forward(ForwardRequest.of(batch));
    }

    /** transformers' {@code forward(**kwargs)}: padding, positions, embeddings, cache, labels, extra outputs. */
    CausalLmOutput forward(ForwardRequest request);
}
