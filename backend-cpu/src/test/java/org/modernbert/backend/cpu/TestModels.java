package org.modernbert.backend.cpu;

import org.modernbert.api.config.Activation;
import org.modernbert.api.config.AttentionType;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random models (odd sizes so every kernel tail runs) built directly as {@link ModelWeights}. */
final class TestModels {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestModels() {
    }

    /** hidden 36 (3 heads of 12), intermediate 40, vocab 97, 4 layers (0 and 3 full), window 4. */
    static ModernBertDecoderConfig config(boolean biases) {
        return ModernBertDecoderConfig.builder()
                .vocabSize(97).hiddenSize(36).numAttentionHeads(3).intermediateSize(40).numHiddenLayers(4)
                .maxPositionEmbeddings(64).localAttention(8).globalAttnEveryNLayers(3)
                .globalRopeTheta(160000).localRopeTheta(10000)
                .padTokenId(0).eosTokenId(1).bosTokenId(2).clsTokenId(2).sepTokenId(1)
                .normBias(biases).attentionBias(biases).mlpBias(biases).decoderBias(biases)
                .hiddenActivation(Activation.GELU).classifierActivation(Activation.GELU)
                .build();
    }

    static ModelWeights randomModel(ModernBertDecoderConfig c, WeightFormat dtype, long seed, Arena arena) {
        Random rnd = new Random(seed);
        int hdim = c.hiddenSize();
        int inter = c.intermediateSize();
        boolean nb = c.normBias();
        Tensor emb = tensor("embeddings.tok_embeddings.weight", dtype, rnd, 1.0, 0, arena, c.vocabSize(), hdim);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "layers." + i + ".";
            boolean ab = c.attentionBias();
            boolean mb = c.mlpBias();
            double ws = 1.0 / Math.sqrt(hdim);
            layers.add(new LayerWeights(i, c.layerType(i), c.ropeTheta(i),
                    i == 0 ? null : tensor(p + "attn_norm.weight", WeightFormat.F32, rnd, 0.1, 1, arena, hdim),
                    i == 0 || !nb ? null : tensor(p + "attn_norm.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim),
                    tensor(p + "attn.q.weight", dtype, rnd, 2 * ws, 0, arena, hdim, hdim),
                    ab ? tensor(p + "attn.q.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                    tensor(p + "attn.k.weight", dtype, rnd, 2 * ws, 0, arena, hdim, hdim),
                    ab ? tensor(p + "attn.k.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                    tensor(p + "attn.v.weight", dtype, rnd, ws, 0, arena, hdim, hdim),
                    ab ? tensor(p + "attn.v.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                    tensor(p + "attn.Wo.weight", dtype, rnd, ws, 0, arena, hdim, hdim),
                    ab ? tensor(p + "attn.Wo.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                    tensor(p + "mlp_norm.weight", WeightFormat.F32, rnd, 0.1, 1, arena, hdim),
                    nb ? tensor(p + "mlp_norm.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                    tensor(p + "mlp.Wi.weight", dtype, rnd, ws, 0, arena, 2 * inter, hdim),
                    mb ? tensor(p + "mlp.Wi.bias", WeightFormat.F32, rnd, 0.1, 0, arena, 2 * inter) : null,
                    tensor(p + "mlp.Wo.weight", dtype, rnd, 1.0 / Math.sqrt(inter), 0, arena, hdim, inter),
                    mb ? tensor(p + "mlp.Wo.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null));
        }
        HeadWeights head = new HeadWeights(HeadWeights.HeadKind.LANGUAGE_MODEL, c.classifierActivation(),
                tensor("lm_head.dense.weight", dtype, rnd, 1.0 / Math.sqrt(hdim), 0, arena, hdim, hdim),
                c.classifierBias() ? tensor("lm_head.dense.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                tensor("lm_head.norm.weight", WeightFormat.F32, rnd, 0.1, 1, arena, hdim),
                nb ? tensor("lm_head.norm.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                emb,
                c.decoderBias() ? tensor("decoder.bias", WeightFormat.F32, rnd, 0.5, 0, arena, c.vocabSize()) : null,
                c.vocabSize());
        return new ModelWeights(c, emb,
                tensor("embeddings.norm.weight", WeightFormat.F32, rnd, 0.1, 1, arena, hdim),
                nb ? tensor("embeddings.norm.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                layers,
                tensor("final_norm.weight", WeightFormat.F32, rnd, 0.1, 1, arena, hdim),
                nb ? tensor("final_norm.bias", WeightFormat.F32, rnd, 0.1, 0, arena, hdim) : null,
                head);
    }

    /** A tensor of {@code mean + std * N(0,1)} values, stored in {@code dtype} (rounded to nearest). */
    static Tensor tensor(String name, WeightFormat dtype, Random rnd, double std, double mean, Arena arena, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] values = new float[(int) n];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (mean + std * rnd.nextGaussian());
        }
        return tensor(name, dtype, values, arena, shape);
    }

    static Tensor tensor(String name, WeightFormat dtype, float[] values, Arena arena, long... shape) {
        MemorySegment seg = arena.allocate((long) values.length * dtype.blockBytes(), 1);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> seg.set(F32_LE, 4L * i, values[i]);
                case F16 -> seg.set(I16_LE, 2L * i, Float.floatToFloat16(values[i]));
                case BF16 -> {
                    int bits = Float.floatToRawIntBits(values[i]);
                    int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
                    seg.set(I16_LE, 2L * i, (short) rounded);
                }
            }
        }
        return new Tensor(name, dtype, shape, seg);
    }
}
