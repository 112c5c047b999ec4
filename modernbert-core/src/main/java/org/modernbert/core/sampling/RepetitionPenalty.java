package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/**
 * transformers' {@code RepetitionPenaltyLogitsProcessor}: every distinct token of the prompt and the
 * generated text has its score divided by the penalty when positive and multiplied by it when
 * negative (CTRL's rule), once per distinct token however often it occurs.
 */
public final class RepetitionPenalty implements LogitsProcessor {
    private final float penalty;
    private int[] stamp = new int[0];
    private int generation;

    public RepetitionPenalty(double penalty) {
        if (!(penalty > 0) || Double.isInfinite(penalty)) {
            throw new ModernBertException("repetition_penalty must be a positive number, got " + penalty);
        }
        this.penalty = (float) penalty;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        if (stamp.length < scores.length) {
            stamp = new int[scores.length];
            generation = 0;
        }
        generation++;
        if (generation == Integer.MAX_VALUE) {
            java.util.Arrays.fill(stamp, 0);
            generation = 1;
        }
        for (int i = 0; i < length; i++) {
            int id = ids[i];
            if (stamp[id] == generation) {
                continue;
            }
            stamp[id] = generation;
            float s = scores[id];
            scores[id] = s < 0 ? s * penalty : s / penalty;
        }
    }
}
