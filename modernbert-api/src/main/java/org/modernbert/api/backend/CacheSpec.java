package org.modernbert.api.backend;

/**
 * The shape of a KV cache to create.
 *
 * @param maxLength the most positions the sequence will reach (prompt plus generated tokens)
 * @param rollback  how many of the latest positions {@link org.modernbert.api.cache.KvCache#truncate}
 *                  must always be able to remove (stop strings that cut tokens, speculative drafts).
 *                  Full-attention layers keep every position anyway; sliding-window layers keep
 *                  {@code window + rollback} positions instead of {@code window}.
 */
public record CacheSpec(int maxLength, int rollback) {
    public CacheSpec {
        if (maxLength < 1) {
            throw new IllegalArgumentException("a KV cache needs room for at least 1 position, got maxLength " + maxLength);
        }
        if (rollback < 0) {
            throw new IllegalArgumentException("rollback must be >= 0, got " + rollback);
        }
    }

    /** A cache of {@code maxLength} positions that can be rolled back only while it holds every position. */
    public static CacheSpec of(int maxLength) {
        return new CacheSpec(maxLength, 0);
    }
}
