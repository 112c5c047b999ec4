package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/**
 * OpenAI's {@code frequency_penalty} (as vLLM applies it): each token's score loses {@code penalty}
 * times the number of times it occurs in the generated text (the prompt does not count), so a token
 * is penalized more the more it repeats.
 */
public final class FrequencyPenalty implements LogitsProcessor {
    private final float penalty;
    private int[] counts = new int[0];

    /** @param penalty in [-2, 2], as OpenAI's API allows */
    public FrequencyPenalty(double penalty) {
        if (!(penalty >= -2 && penalty <= 2)) {
            throw new ModernBertException("frequency_penalty must be in [-2, 2], got " + penalty);
        }
        this.penalty = (float) penalty;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        if (counts.length < scores.length) {
            counts = new int[scores.length];
        }
        for (int i = promptLength; i < length; i++) {
            int id = ids[i];
            if (id >= 0 && id < scores.length) {
                counts[id]++;
            }
        }
        // Applied and cleared in one pass over the generated tokens: no per-step pass over the vocabulary.
        for (int i = promptLength; i < length; i++) {
            int id = ids[i];
            if (id >= 0 && id < scores.length && counts[id] > 0) {
                scores[id] -= penalty * counts[id];
                counts[id] = 0;
            }
        }
    }
}
