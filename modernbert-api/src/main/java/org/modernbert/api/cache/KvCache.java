package org.modernbert.api.cache;

/**
 * Per-sequence attention state (keys and values of every layer), owned by the executor that made it
 * with {@link org.modernbert.api.backend.ModelExecutor#newCache} and kept in that backend's layout
 * (on the heap, off-heap, or on a device). Full-attention layers keep every position; sliding layers
 * keep the last {@code window + rollback} positions. Not thread-safe: one sequence, one thread at a time.
 */
public interface KvCache extends AutoCloseable {
    /** Positions already processed; the next token goes to this slot. */
    int length();

    /** The most positions this cache accepts. */
    int maxLength();

    /** The memory this cache holds now, in bytes; at most what {@code ModelExecutor.cacheBytes} gave for its spec. */
    long byteSize();

    /**
     * An independent copy holding the same positions: steps on either never change the other. Same
     * executor, same maximum length and rollback.
     */
    KvCache fork();

    /**
     * Forgets every position from {@code newLength} on, as if they had never been processed.
     *
     * @throws org.modernbert.api.ModernBertException when {@code newLength} is above {@link #length()}
     *         or below {@link #minTruncateLength()}
     */
    void truncate(int newLength);

    /**
     * The shortest length {@link #truncate} can go back to now: 0 while every position written since
     * the cache was last emptied is still held, else {@code highWater - rollback}, where
     * {@code highWater} is the longest length the cache has reached since it was emptied (sliding
     * layers have dropped older positions, and a truncate does not bring them back).
     */
    int minTruncateLength();

    /** Forgets every position so the cache can be reused for a new sequence ({@code truncate(0)} always works). */
    void clear();

    /** Frees the cache's memory; using it afterwards is an error; closing twice is harmless. */
    @Override
    void close();

    /**
     * Closes every cache (null entries skipped), even when one close fails; the first failure is
     * thrown after the rest, the others attached to it as suppressed.
     */
    static void closeAll(Iterable<? extends KvCache> caches) {
        RuntimeException failure = null;
        for (KvCache c : caches) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
