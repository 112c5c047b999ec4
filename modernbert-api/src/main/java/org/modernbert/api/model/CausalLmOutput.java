package org.modernbert.api.model;

import org.modernbert.api.cache.DynamicCache;

import java.util.List;

/**
 * Outputs of the causal LM ({@code CausalLMOutputWithPast}). Per row, matrices cover every position of
 * the row as given (a padded row's pad positions hold zeros: their values are unspecified).
 *
 * @param logits          per row, positions x vocabulary
 * @param lastHiddenState per row, positions x hidden (after the final norm)
 * @param loss            HF's causal-LM loss over the whole batch (labels shifted by one, -100
 *                        ignored, mean over all kept targets); null without labels
 * @param lossPerRow      the same loss for each row alone; NaN for a row with no kept target; null without labels
 * @param hiddenStates    {@code output_hidden_states}: [layer][row], layers + 1 entries; null when not asked
 * @param attentions      {@code output_attentions}: [layer][row]; null when not asked
 * @param pastKeyValues   with {@code use_cache}: the cache to pass to the next forward (the caller closes it); else null
 */
public record CausalLmOutput(List<FloatMatrix> logits, List<FloatMatrix> lastHiddenState, Double loss, double[] lossPerRow,
                             List<List<FloatMatrix>> hiddenStates, List<List<AttentionWeights>> attentions,
                             DynamicCache pastKeyValues) {
}
