package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

import java.util.random.RandomGenerator;

/** Picks the next token from processed scores: greedy argmax, or a draw from their softmax. */
public final class Sampler {
    private Sampler() {
    }

    /** The index of the largest score; ties go to the lowest index, as {@code torch.argmax}. */
    public static int argmax(float[] scores) {
        int best = 0;
        float bestScore = scores[0];
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > bestScore) {
                best = i;
                bestScore = scores[i];
            }
        }
        return best;
    }

    /**
     * Draws a token from {@code softmax(scores)} (computed in double precision) by inverse CDF with
     * one uniform number from {@code rng}; tokens at -inf are never drawn.
     */
    public static int sample(float[] scores, RandomGenerator rng) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        if (!(max > Float.NEGATIVE_INFINITY) || Float.isNaN(max) || max == Float.POSITIVE_INFINITY) {
            throw new ModernBertException("cannot sample: the processed scores have no finite maximum (max = " + max + ")");
        }
        double sum = 0;
        for (float s : scores) {
            sum += Math.exp((double) s - max);
        }
        double u = rng.nextDouble() * sum;
        double cumulative = 0;
        int lastPossible = -1;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] == Float.NEGATIVE_INFINITY) {
                continue;
            }
            cumulative += Math.exp((double) scores[i] - max);
            lastPossible = i;
            if (u < cumulative) {
                return i;
            }
        }
        // Rounding can leave u just above the summed mass: the last drawable token takes it.
        return lastPossible;
    }
}
