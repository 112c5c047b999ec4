package org.modernbert.core.loading;

import org.modernbert.api.ModernBertException;

/** A checkpoint folder whose tensors do not fit its config.json (missing, unexpected or misshaped tensors, unknown architecture). */
public final class CheckpointException extends ModernBertException {
    public CheckpointException(String message) {
        super(message);
    }
}
