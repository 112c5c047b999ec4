package org.modernbert.api.model;

import java.util.List;

/**
 * Outputs of the causal LM for a ragged batch.
 *
 * @param logits          per row, positions x vocabulary
 * @param lastHiddenState per row, positions x hidden
 * @param loss            HF's causal-LM loss over the whole batch (labels shifted by one, -100
 *                        ignored, mean over all kept targets); null without labels
 * @param lossPerRow      the same loss for each row alone; NaN for a row with no kept target; null without labels
 */
public record CausalLmOutput(List<FloatMatrix> logits, List<FloatMatrix> lastHiddenState, Double loss, double[] lossPerRow) {
}
