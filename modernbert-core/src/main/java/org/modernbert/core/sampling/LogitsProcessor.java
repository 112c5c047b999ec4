package org.modernbert.core.sampling;

/**
 * Rewrites next-token scores in place, as transformers' {@code LogitsProcessor}/{@code LogitsWarper}.
 * Implementations may keep scratch arrays, so one instance serves one thread at a time.
 */
public interface LogitsProcessor {
    /**
     * @param ids          the sequence so far (prompt then generated tokens) in {@code ids[0..length)}
     * @param length       tokens in the sequence
     * @param promptLength how many of them are the prompt
     * @param scores       the next-token scores over the vocabulary, changed in place
     */
    void process(int[] ids, int length, int promptLength, float[] scores);
}
