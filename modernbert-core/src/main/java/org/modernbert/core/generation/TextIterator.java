package org.modernbert.core.generation;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.Tokenizer;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The text of one sequence as a blocking {@link Iterator} (transformers' {@code TextIteratorStreamer}):
 * generation runs on its own thread from construction; {@link #hasNext()} waits for the next piece.
 * {@link #cancel()} or {@link #close()} stop the generation. Only sequence 0 is streamed.
 */
public final class TextIterator implements Iterator<String>, AutoCloseable {
    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final GenerationControl control = new GenerationControl();
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private Object next;
    private boolean done;

    public TextIterator(Tokenizer tokenizer, GenerationTask task) {
        TextStreamer streamer = new TextStreamer(tokenizer, (seq, text, end) -> {
            if (seq == 0 && !text.isEmpty()) {
                queue.add(text);
            }
        });
        Thread.ofPlatform().daemon().name("modernbert-generate").start(() -> {
            try {
                result.complete(task.run(streamer, control));
                queue.add(END);
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
                queue.add(e);
            }
        });
    }

    @Override
    public boolean hasNext() {
        if (done) {
            return false;
        }
        if (next == null) {
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancel();
                throw new ModernBertException("interrupted while waiting for generated text", e);
            }
        }
        if (next == END) {
            done = true;
            return false;
        }
        if (next instanceof ModernBertException e) {
            done = true;
            throw e;
        }
        if (next instanceof Throwable t) {
            done = true;
            throw new ModernBertException("generation failed: " + t, t);
        }
        return true;
    }

    @Override
    public String next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation has ended");
        }
        String s = (String) next;
        next = null;
        return s;
    }

    /** Stops the generation before its next step; pieces already produced can still be read. */
    public void cancel() {
        control.cancel();
    }

    /** The full result, waiting for the generation to end. */
    public GenerationResult result() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModernBertException("interrupted while waiting for the generation result", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ModernBertException m) {
                throw m;
            }
            throw new ModernBertException("generation failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        cancel();
    }
}
