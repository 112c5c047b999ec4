package org.modernbert.core.init;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The published sizes of the Ettin decoders (jhu-clsp/ettin-decoder-*), as {@link ModernBertDecoderConfig}s.
 * Only the sizes differ; every other field is the transformers {@code ModernBertDecoderConfig} default, which
 * the documentation gives for these decoders: vocab_size 50368, local_attention 128, every third layer global
 * (layer i is global when i % 3 == 0), max_position_embeddings 8192, global and local rope theta 160000,
 * norm_eps 1e-5 without norm biases, no attention or MLP biases, a decoder bias, GELU, pad/bos/eos/cls/sep ids
 * 50283/50281/50282/50281/50282, tied word embeddings, initializer_range 0.02 cut at 2 standard deviations.
 */
public final class NamedConfigs {
    private record Size(int hidden, int layers, int heads, int intermediate) {
    }

    private static final Map<String, Size> SIZES = new LinkedHashMap<>();

    static {
        SIZES.put("ettin-17m", new Size(256, 7, 4, 384));
        SIZES.put("ettin-32m", new Size(384, 10, 6, 576));
        SIZES.put("ettin-68m", new Size(512, 19, 8, 768));
        SIZES.put("ettin-150m", new Size(768, 22, 12, 1152));
        SIZES.put("ettin-400m", new Size(1024, 28, 16, 2624));
        SIZES.put("ettin-1b", new Size(1792, 28, 28, 3840));
    }

    private NamedConfigs() {
    }

    /** The names, smallest model first. */
    public static Set<String> names() {
        return SIZES.keySet();
    }

    public static boolean contains(String name) {
        return SIZES.containsKey(name);
    }

    /** The config of a named size; an unknown name is an error that lists the known ones. */
    public static ModernBertDecoderConfig get(String name) {
        Size s = SIZES.get(name);
        if (s == null) {
            throw new ModernBertException("unknown config name " + name + ": expected one of " + String.join(", ", SIZES.keySet()));
        }
        return ModernBertDecoderConfig.builder()
                .vocabSize(50368)
                .hiddenSize(s.hidden())
                .numHiddenLayers(s.layers())
                .numAttentionHeads(s.heads())
                .intermediateSize(s.intermediate())
                .localAttention(128)
                .globalAttnEveryNLayers(3)
                .maxPositionEmbeddings(8192)
                .globalRopeTheta(160000.0)
                .localRopeTheta(160000.0)
                .normEps(1e-5)
                .normBias(false)
                .attentionBias(false)
                .mlpBias(false)
                .decoderBias(true)
                .classifierBias(false)
                .padTokenId(50283)
                .bosTokenId(50281)
                .eosTokenId(50282)
                .clsTokenId(50281)
                .sepTokenId(50282)
                .tieWordEmbeddings(true)
                .architectures(java.util.List.of("ModernBertDecoderForCausalLM"))
                .build();
    }
}
