package org.modernbert.core.generation;

import org.modernbert.core.model.Losses;

import java.util.Arrays;

/**
 * The log-probability of a chosen token under the model's raw logits (before temperature, penalties
 * or truncation, as vLLM and OpenAI report them), and the most likely alternatives.
 *
 * @param logprob     {@code log_softmax(logits)[token]}
 * @param topIds      the {@code k} most likely tokens, most likely first
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprobs(float logprob, int[] topIds, float[] topLogprobs) {

    /** The chosen token's log-probability and the {@code k} best alternatives from one row of logits. */
    public static TokenLogprobs of(float[] logits, int token, int k) {
        double norm = Losses.logSumExp(logits, 0, logits.length);
        int n = Math.max(0, Math.min(k, logits.length));
        int[] top = new int[n];
        float[] topLp = new float[n];
        int filled = 0;
        for (int i = 0; i < logits.length && n > 0; i++) { // k is small (OpenAI allows 5): insertion into a sorted top-k
            float v = logits[i];
            if (filled == n && v <= logits[top[n - 1]]) {
                continue;
            }
            int at = filled < n ? filled++ : n - 1; // when full, the last one drops out
            while (at > 0 && logits[top[at - 1]] < v) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = i;
        }
        for (int i = 0; i < n; i++) {
            topLp[i] = (float) (logits[top[i]] - norm);
        }
        return new TokenLogprobs((float) (logits[token] - norm), top, topLp);
    }

    @Override
    public String toString() {
        return "TokenLogprobs[" + logprob + ", " + Arrays.toString(topIds) + ", " + Arrays.toString(topLogprobs) + "]";
    }
}
