package org.modernbert.api.model;

/**
 * Outputs of the sequence classifier.
 *
 * @param logits rows x labels, pooled at the last token of each row
 * @param loss   the loss for {@code problem_type} (MSE, cross-entropy or BCE-with-logits); null without labels
 */
public record ClassifierOutput(FloatMatrix logits, Double loss) {
}
