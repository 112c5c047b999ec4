package org.modernbert.api;

/**
 * The one exception type the SDK throws for bad input (files, config, tensors, token ids, options).
 * Its message always says what was wrong, where (file, tensor, field) and what was expected.
 */
public class ModernBertException extends RuntimeException {
    public ModernBertException(String message) {
        super(message);
    }

    public ModernBertException(String message, Throwable cause) {
        super(message, cause);
    }
}
