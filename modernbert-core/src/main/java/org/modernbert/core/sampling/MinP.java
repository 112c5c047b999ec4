package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/**
 * transformers' {@code MinPLogitsWarper}: tokens whose probability is below {@code min_p} times the
 * top token's probability are removed. Since {@code p_i / p_max = exp(s_i - s_max)}, no softmax is needed.
 */
public final class MinP implements LogitsProcessor {
    private final double minP;

    public MinP(double minP) {
        if (!(minP >= 0 && minP <= 1)) {
            throw new ModernBertException("min_p must be in [0, 1], got " + minP);
        }
        this.minP = minP;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            return;
        }
        for (int i = 0; i < scores.length; i++) {
            if (Math.exp((double) scores[i] - max) < minP) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
