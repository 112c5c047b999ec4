package org.modernbert.api.cache;

/**
 * Per-sequence attention state (keys and values of every layer), owned by the backend that made it
 * with {@link org.modernbert.api.backend.ModelExecutor#newCache(int)} and kept in that backend's
 * layout (off-heap, or on a device). Full-attention layers keep every position; sliding layers keep
 * only the last {@code window} positions. Not thread-safe: one sequence, one thread at a time.
 */
public interface KvCache extends AutoCloseable {
    /** Positions already processed; the next token goes to this position. */
    int length();

    /** The most positions this cache accepts (prompt plus generated tokens). */
    int maxLength();

    /** Forgets every position so the cache can be reused for a new sequence. */
    void clear();

    /** Frees the cache's memory; using it afterwards is an error. */
    @Override
    void close();
}
