package org.modernbert.core.generation;

/** A generation request waiting to run with a streamer and a cancellation handle. */
@FunctionalInterface
public interface GenerationTask {
    GenerationResult run(TokenStreamer streamer, GenerationControl control);
}
