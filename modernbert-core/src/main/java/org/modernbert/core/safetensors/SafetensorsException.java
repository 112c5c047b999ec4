package org.modernbert.core.safetensors;

import org.modernbert.api.ModernBertException;

/** A safetensors file or shard index that is unreadable or malformed; the message names the file (and tensor). */
public final class SafetensorsException extends ModernBertException {
    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
