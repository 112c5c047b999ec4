package org.modernbert.core.generation;

/**
 * A handle on a running generation: {@link #cancel()} from any thread stops it before its next step;
 * the sequences still running finish with {@link FinishReason#CANCELLED} and keep their tokens.
 */
public final class GenerationControl {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
