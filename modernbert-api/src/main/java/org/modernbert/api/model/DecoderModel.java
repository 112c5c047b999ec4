package org.modernbert.api.model;

import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.config.ModernBertDecoderConfig;

/**
 * A loaded ModernBERT decoder on one backend ({@code ModernBertDecoderModel}: input ids to last
 * hidden states). Owns its mapped weights and executor: close it to free both.
 */
public interface DecoderModel extends AutoCloseable {
    ModernBertDecoderConfig config();

    /** The backend that runs this model. */
    String backendName();

    /** The executor, for step-wise use with a KV cache (generation). */
    ModelExecutor executor();

    /** Last hidden states of every row; ids are checked against the vocabulary and the maximum length. */
    BaseModelOutput forwardHidden(TokenBatch batch);

    @Override
    void close();
}
