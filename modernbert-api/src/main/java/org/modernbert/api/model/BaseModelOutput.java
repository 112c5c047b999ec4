package org.modernbert.api.model;

import org.modernbert.api.cache.DynamicCache;

import java.util.List;

/**
 * {@code BaseModelOutputWithPast}: per row, positions x hidden after the final norm, and the optional
 * outputs as in {@link CausalLmOutput}.
 */
public record BaseModelOutput(List<FloatMatrix> lastHiddenState, List<List<FloatMatrix>> hiddenStates,
                              List<List<AttentionWeights>> attentions, DynamicCache pastKeyValues) {
}
