package org.modernbert.api.model;

import org.modernbert.api.config.AttentionType;
import org.modernbert.api.tensor.Tensor;

/**
 * The weights of decoder layer {@code index} (HF names under {@code model.layers.N.}). Linear
 * weights are {@code [out, in]}. Optional tensors are null: {@code attnNorm} on layer 0 (which
 * has none), biases when the config has no {@code attention_bias} / {@code mlp_bias} /
 * {@code norm_bias}.
 *
 * @param attentionType full or sliding attention for this layer
 * @param ropeTheta     the RoPE base of this layer (global or local theta by type)
 * @param wi            {@code mlp.Wi}: {@code [2 * intermediate, hidden]}, first half activated, second the gate
 */
public record LayerWeights(
        int index,
        AttentionType attentionType,
        double ropeTheta,
        Tensor attnNorm, Tensor attnNormBias,
        Tensor wq, Tensor bq,
        Tensor wk, Tensor bk,
        Tensor wv, Tensor bv,
        Tensor wo, Tensor bo,
        Tensor mlpNorm, Tensor mlpNormBias,
        Tensor wi, Tensor bi,
        Tensor wMlpOut, Tensor bMlpOut) {
}
