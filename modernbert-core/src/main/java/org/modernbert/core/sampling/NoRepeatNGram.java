package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/**
 * transformers' {@code NoRepeatNGramLogitsProcessor}: a token that would complete an n-gram already
 * present in the sequence (prompt included) gets score -inf.
 */
public final class NoRepeatNGram implements LogitsProcessor {
    private final int n;

    public NoRepeatNGram(int n) {
        if (n <= 0) {
            throw new ModernBertException("no_repeat_ngram_size must be positive to ban n-grams, got " + n);
        }
        this.n = n;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        if (length + 1 < n) {
            return;
        }
        // The last n-1 tokens are the prefix of the n-gram the next token would complete.
        int prefixStart = length - (n - 1);
        for (int start = 0; start + n <= length; start++) {
            boolean same = true;
            for (int j = 0; j < n - 1; j++) {
                if (ids[start + j] != ids[prefixStart + j]) {
                    same = false;
                    break;
                }
            }
            if (same) {
                scores[ids[start + n - 1]] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
