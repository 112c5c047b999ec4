package org.modernbert.api.backend;

import org.modernbert.api.cache.KvCache;

/**
 * New tokens of one sequence for one step. Their positions continue from {@code cache.length()};
 * after the step the cache holds them too.
 */
public record SequenceStep(KvCache cache, int[] tokenIds) {
    public SequenceStep {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("a sequence step needs at least one token");
        }
    }
}
