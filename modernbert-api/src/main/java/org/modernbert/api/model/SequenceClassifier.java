package org.modernbert.api.model;

/**
 * {@code ModernBertDecoderForSequenceClassification}: logits per label, pooled at the last token of
 * each row (rows are ragged, so the last token is the last non-pad token).
 */
public interface SequenceClassifier extends DecoderModel {
    ClassifierOutput classify(TokenBatch batch);

    /** With class-index labels: cross-entropy (single_label_classification). */
    ClassifierOutput classify(TokenBatch batch, int[] classLabels);

    /** With float targets, rows x labels: MSE (regression) or BCE-with-logits (multi_label_classification). */
    ClassifierOutput classify(TokenBatch batch, float[][] targets);
}
