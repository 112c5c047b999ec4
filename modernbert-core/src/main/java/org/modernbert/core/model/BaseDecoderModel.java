package org.modernbert.core.model;

import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.core.loading.LoadedCheckpoint;

/** {@code ModernBertDecoderModel}: no head, last hidden states only. */
public final class BaseDecoderModel extends LoadedModel {
    public BaseDecoderModel(LoadedCheckpoint checkpoint, Backend backend, ModelExecutor executor) {
        super(checkpoint, backend, executor);
    }
}
