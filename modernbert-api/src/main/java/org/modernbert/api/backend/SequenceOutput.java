package org.modernbert.api.backend;

import java.util.List;

/**
 * What one step returns for one sequence; fields that were not asked for are null (or -1).
 *
 * @param logits          {@link Head.Last}: {@code [outputs]}; {@link Head.All}: {@code [newTokens * outputs]}
 * @param argmax          {@link Head.Argmax}: the index of the largest logit of the last position; else -1
 * @param topKIds         {@link Head.TopK}: the k indices, largest logit first
 * @param topKLogits      {@link Head.TopK}: their logits
 * @param lastHiddenState {@code [newTokens * hidden]}, after the final norm
 * @param hiddenStates    {@code layers + 1} entries of {@code [newTokens * hidden]}: the embeddings' output,
 *                        the output of layers {@code 0 .. layers-2}, then the final-normed last layer
 * @param attentions      one entry per layer of {@code [heads * newTokens * keys]} probabilities, where
 *                        {@code keys = cache length before the step + newTokens} (slot order; zeros where masked)
 */
public record SequenceOutput(float[] logits, int argmax, int[] topKIds, float[] topKLogits,
                             float[] lastHiddenState, List<float[]> hiddenStates, List<float[]> attentions) {
}
