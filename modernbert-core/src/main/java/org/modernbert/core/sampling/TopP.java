package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

import java.util.Arrays;

/**
 * transformers' {@code TopPLogitsWarper} (nucleus): sorting ascending, the tokens whose cumulative
 * probability stays {@code <= 1 - top_p} are removed; the most likely token is always kept.
 */
public final class TopP implements LogitsProcessor {
    private final double topP;
    private long[] keys = new long[0];

    public TopP(double topP) {
        if (!(topP > 0 && topP <= 1)) {
            throw new ModernBertException("top_p must be in (0, 1], got " + topP);
        }
        this.topP = topP;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        // Tokens already at -inf have probability 0 and stay removed; sort only the others. Among
        // equal scores the lowest index sorts last (key MAX - i), so it is the one kept, as argmax would pick.
        int n = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (keys.length < scores.length) {
            keys = new long[scores.length];
        }
        for (int i = 0; i < scores.length; i++) {
            float s = scores[i];
            if (s != Float.NEGATIVE_INFINITY) {
                keys[n++] = SortKeys.pack(s, Integer.MAX_VALUE - i);
                max = Math.max(max, s);
            }
        }
        if (n <= 1) {
            return;
        }
        Arrays.sort(keys, 0, n);
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(SortKeys.value(keys[j]) - max);
        }
        double limit = 1 - topP;
        double cumulative = 0;
        for (int j = 0; j < n - 1; j++) {
            cumulative += Math.exp(SortKeys.value(keys[j]) - max) / sum;
            if (cumulative > limit) {
                break;
            }
            scores[Integer.MAX_VALUE - SortKeys.index(keys[j])] = Float.NEGATIVE_INFINITY;
        }
    }
}
