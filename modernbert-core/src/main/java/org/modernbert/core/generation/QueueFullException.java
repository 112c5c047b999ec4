package org.modernbert.core.generation;

import org.modernbert.api.ModernBertException;

/** A {@link BatchScheduler} refused a request because its queue is full: back-pressure, try again later. */
public final class QueueFullException extends ModernBertException {
    public QueueFullException(String message) {
        super(message);
    }
}
