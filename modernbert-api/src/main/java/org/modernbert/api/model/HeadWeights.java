package org.modernbert.api.model;

import org.modernbert.api.config.Activation;
import org.modernbert.api.tensor.Tensor;

/**
 * A prediction head {@code projection(LN(act(dense(h))))}: the causal-LM head ({@code lm_head.*},
 * {@code decoder.*}; the projection is the token embedding when tied) or the classifier head
 * ({@code head.*}, {@code classifier.*}). Optional tensors are null.
 *
 * @param outputs number of outputs: vocabulary size or number of labels
 */
public record HeadWeights(
        HeadKind kind,
        Activation activation,
        Tensor dense, Tensor denseBias,
        Tensor norm, Tensor normBias,
        Tensor projection, Tensor projectionBias,
        int outputs) {

    public enum HeadKind {
        LANGUAGE_MODEL,
        CLASSIFIER
    }
}
