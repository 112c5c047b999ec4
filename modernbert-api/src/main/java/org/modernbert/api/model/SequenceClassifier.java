package org.modernbert.api.model;

/**
 * {@code ModernBertDecoderForSequenceClassification}: logits per label, pooled at the last token of
 * each row (rows are ragged, so the last token is the last non-pad token).
 */
public interface SequenceClassifier extends DecoderModel {
    ClassifierOutput classify(TokenBatch batch);

    /**
     * transformers' {@code forward(**kwargs)} without labels: a padded row is pooled at its last real
     * token (the end of its attention-mask run), as transformers pools at the last non-pad token.
     * {@code labels} here are refused: use the overloads below for the loss.
     */
    ClassifierOutput classify(ForwardRequest request);

    /** With class-index labels: cross-entropy (single_label_classification). */
    ClassifierOutput classify(TokenBatch batch, int[] classLabels);

    /** With float targets, rows x labels: MSE (regression) or BCE-with-logits (multi_label_classification). */
    ClassifierOutput classify(TokenBatch batch, float[][] targets);
}
