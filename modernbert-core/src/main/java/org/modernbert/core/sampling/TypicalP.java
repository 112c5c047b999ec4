package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

import java.util.Arrays;

/**
 * transformers' {@code TypicalLogitsWarper} (locally typical sampling): tokens are ordered by
 * {@code |-log p - H|} (distance of their surprise from the entropy H); the smallest set in that
 * order whose probability reaches {@code typical_p} is kept (ties with its last distance included).
 */
public final class TypicalP implements LogitsProcessor {
    private final double mass;
    private long[] keys = new long[0];

    public TypicalP(double mass) {
        if (!(mass > 0 && mass <= 1)) {
            throw new ModernBertException("typical_p must be in (0, 1], got " + mass);
        }
        this.mass = mass;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        int v = scores.length;
        if (keys.length < v) {
            keys = new long[v];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            return;
        }
        double sum = 0;
        for (float s : scores) {
            sum += Math.exp((double) s - max);
        }
        double logSum = Math.log(sum);
        double entropy = 0;
        for (float s : scores) {
            if (s != Float.NEGATIVE_INFINITY) {
                double logp = (double) s - max - logSum;
                entropy -= logp * Math.exp(logp);
            }
        }
        // Tokens at -inf have infinite distance and zero probability: they stay removed.
        int n = 0;
        for (int i = 0; i < v; i++) {
            float s = scores[i];
            if (s != Float.NEGATIVE_INFINITY) {
                double logp = (double) s - max - logSum;
                keys[n++] = SortKeys.pack((float) Math.abs(-logp - entropy), i);
            }
        }
        Arrays.sort(keys, 0, n);
        int last = 0;
        double cumulative = 0;
        for (int j = 0; j < n; j++) {
            cumulative += Math.exp((double) scores[SortKeys.index(keys[j])] - max) / sum;
            if (cumulative < mass) {
                last = j + 1;
            } else {
                break;
            }
        }
        last = Math.min(last, n - 1);
        float threshold = SortKeys.value(keys[last]);
        for (int j = last + 1; j < n; j++) {
            if (SortKeys.value(keys[j]) > threshold) {
                scores[SortKeys.index(keys[j])] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
