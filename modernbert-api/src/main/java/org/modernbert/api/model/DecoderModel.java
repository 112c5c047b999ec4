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

    /** The executor, for step-wise use with KV caches (generation, serving). */
    ModelExecutor executor();

    /** Last hidden states of every row of a ragged batch. */
    default BaseModelOutput forwardHidden(TokenBatch batch) {
        return forwardHidden(ForwardRequest.of(batch));
    }

    /** The base model's {@code forward(**kwargs)} ({@code labels} are refused: no head, no loss). */
    BaseModelOutput forwardHidden(ForwardRequest request);

    @Override
    void close();
}
