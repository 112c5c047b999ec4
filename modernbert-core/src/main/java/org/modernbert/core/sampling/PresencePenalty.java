package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/**
 * OpenAI's {@code presence_penalty} (as vLLM applies it): every token that occurs at least once in
 * the generated text (the prompt does not count) has {@code penalty} subtracted from its score, once
 * however often it occurs. Positive values push towards new tokens, negative ones towards repeats.
 */
public final class PresencePenalty implements LogitsProcessor {
    private final float penalty;
    private int[] stamp = new int[0];
    private int generation;

    /** @param penalty in [-2, 2], as OpenAI's API allows */
    public PresencePenalty(double penalty) {
        if (!(penalty >= -2 && penalty <= 2)) {
            throw new ModernBertException("presence_penalty must be in [-2, 2], got " + penalty);
        }
        this.penalty = (float) penalty;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        if (stamp.length < scores.length) {
            stamp = new int[scores.length];
            generation = 0;
        }
        if (++generation == Integer.MAX_VALUE) { // stamps are reused across calls instead of clearing an array per step
            java.util.Arrays.fill(stamp, 0);
            generation = 1;
        }
        for (int i = promptLength; i < length; i++) {
            int id = ids[i];
            if (id >= 0 && id < scores.length && stamp[id] != generation) {
                stamp[id] = generation;
                scores[id] -= penalty;
            }
        }
    }
}
