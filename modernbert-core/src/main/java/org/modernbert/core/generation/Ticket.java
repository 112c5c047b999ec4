package org.modernbert.core.generation;

import java.util.concurrent.CompletableFuture;

/**
 * A request submitted to a {@link BatchScheduler}: its result, and {@link #cancel()} from any thread,
 * which ends its running sequences with {@link FinishReason#CANCELLED} (keeping their tokens) and frees
 * their caches at the scheduler's next step.
 */
public final class Ticket {
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    Ticket() {
    }

    /** Completes with the result, or exceptionally when the request failed (a copy: completing it changes nothing here). */
    public CompletableFuture<GenerationResult> result() {
        return result.copy();
    }

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    void complete(GenerationResult r) {
        result.complete(r);
    }

    void fail(Throwable e) {
        result.completeExceptionally(e);
    }
}
