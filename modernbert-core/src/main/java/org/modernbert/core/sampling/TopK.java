package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

import java.util.Arrays;

/**
 * transformers' {@code TopKLogitsWarper}: scores below the k-th largest score become -inf (ties with
 * the k-th score are kept, as {@code scores < topk(scores, k)[-1]} keeps them).
 */
public final class TopK implements LogitsProcessor {
    private final int k;
    private float[] scratch = new float[0];

    public TopK(int k) {
        if (k <= 0) {
            throw new ModernBertException("top_k must be positive to filter (0 disables it), got " + k);
        }
        this.k = k;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        int n = scores.length;
        if (k >= n) {
            return;
        }
        if (scratch.length < n) {
            scratch = new float[n];
        }
        System.arraycopy(scores, 0, scratch, 0, n);
        Arrays.sort(scratch, 0, n);
        float threshold = scratch[n - k];
        for (int i = 0; i < n; i++) {
            if (scores[i] < threshold) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
