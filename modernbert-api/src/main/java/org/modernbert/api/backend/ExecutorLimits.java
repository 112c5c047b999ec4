package org.modernbert.api.backend;

/**
 * What one executor can take, known at load so callers can plan batches and memory. A step over
 * more sequences or tokens, or a cache longer than allowed, is refused with a clear error; callers
 * split the work instead (the model classes do, chunking long prompts through the cache).
 *
 * @param maxSequencesPerStep   most sequences in one {@link ModelExecutor#step}
 * @param maxTokensPerStep      most new tokens, summed over the sequences of one step
 * @param maxCachePositions     most positions a cache may hold (at most {@code max_position_embeddings})
 * @param cacheBytesPerPosition bytes a cache grows by per position it may hold, over all full-attention layers
 *                              ({@link ModelExecutor#cacheBytes} gives the exact size of a cache, sliding layers included)
 */
public record ExecutorLimits(int maxSequencesPerStep, int maxTokensPerStep, int maxCachePositions, long cacheBytesPerPosition) {
    public ExecutorLimits {
        if (maxSequencesPerStep < 1 || maxTokensPerStep < 1 || maxCachePositions < 1 || cacheBytesPerPosition < 0) {
            throw new IllegalArgumentException("executor limits must be positive: " + maxSequencesPerStep + " sequences, "
                    + maxTokensPerStep + " tokens, " + maxCachePositions + " positions, " + cacheBytesPerPosition + " bytes");
        }
    }
}
