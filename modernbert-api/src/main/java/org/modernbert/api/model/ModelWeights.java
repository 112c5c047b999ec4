package org.modernbert.api.model;

import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.tensor.Tensor;

import java.util.List;

/**
 * Every weight a backend needs to run the model, already checked against the config (shapes,
 * presence of optional tensors). The tensors stay valid until the model that owns them is closed.
 *
 * @param head the LM head or classifier head; null for a bare base model
 */
public record ModelWeights(
        ModernBertDecoderConfig config,
        Tensor tokenEmbeddings,
        Tensor embeddingNorm, Tensor embeddingNormBias,
        List<LayerWeights> layers,
        Tensor finalNorm, Tensor finalNormBias,
        HeadWeights head) {

    public ModelWeights {
        layers = List.copyOf(layers);
    }
}
