package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/**
 * transformers' {@code MinNewTokensLengthLogitsProcessor}: while fewer than {@code min_new_tokens}
 * tokens were generated, every eos token gets score -inf.
 */
public final class MinNewTokens implements LogitsProcessor {
    private final int minNewTokens;
    private final int[] eosTokenIds;

    public MinNewTokens(int minNewTokens, int[] eosTokenIds) {
        if (minNewTokens < 0) {
            throw new ModernBertException("min_new_tokens must be >= 0, got " + minNewTokens);
        }
        this.minNewTokens = minNewTokens;
        this.eosTokenIds = eosTokenIds.clone();
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        if (length - promptLength < minNewTokens) {
            for (int eos : eosTokenIds) {
                if (eos >= 0 && eos < scores.length) {
                    scores[eos] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }
}
