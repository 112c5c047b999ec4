package org.modernbert.api.config;

import org.modernbert.api.ModernBertException;

/** A config.json (or a programmatic config) that is unreadable or inconsistent. */
public final class ConfigException extends ModernBertException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
