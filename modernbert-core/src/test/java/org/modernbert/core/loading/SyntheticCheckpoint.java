package org.modernbert.core.loading;

import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes small model folders for loader tests: the HF tensor names and shapes a config implies
 * (written out here independently of the loader), deterministic values, config.json from the config.
 */
final class SyntheticCheckpoint {
    private SyntheticCheckpoint() {
    }

    static ModernBertDecoderConfig.Builder tinyConfig() {
        return ModernBertDecoderConfig.builder()
                .vocabSize(32).hiddenSize(8).numAttentionHeads(2).intermediateSize(12).numHiddenLayers(3)
                .maxPositionEmbeddings(64).localAttention(4)
                .padTokenId(1).bosTokenId(2).eosTokenId(3).clsTokenId(2).sepTokenId(3);
    }

    /** Name -> shape of every tensor transformers saves for this config and head. */
    static Map<String, long[]> tensorsFor(ModernBertDecoderConfig c, HeadKind head) {
        long h = c.hiddenSize();
        long m = c.intermediateSize();
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put("model.embeddings.tok_embeddings.weight", new long[] {c.vocabSize(), h});
        t.put("model.embeddings.norm.weight", new long[] {h});
        if (c.normBias()) t.put("model.embeddings.norm.bias", new long[] {h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = "model.layers." + i + ".";
            if (i > 0) {
                t.put(l + "attn_norm.weight", new long[] {h});
                if (c.normBias()) t.put(l + "attn_norm.bias", new long[] {h});
            }
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "Wo"}) {
                t.put(l + "attn." + proj + ".weight", new long[] {h, h});
                if (c.attentionBias()) t.put(l + "attn." + proj + ".bias", new long[] {h});
            }
            t.put(l + "mlp_norm.weight", new long[] {h});
            if (c.normBias()) t.put(l + "mlp_norm.bias", new long[] {h});
            t.put(l + "mlp.Wi.weight", new long[] {2 * m, h});
            if (c.mlpBias()) t.put(l + "mlp.Wi.bias", new long[] {2 * m});
            t.put(l + "mlp.Wo.weight", new long[] {h, m});
            if (c.mlpBias()) t.put(l + "mlp.Wo.bias", new long[] {h});
        }
        t.put("model.final_norm.weight", new long[] {h});
        if (c.normBias()) t.put("model.final_norm.bias", new long[] {h});
        if (head != null) {
            String p = head == HeadKind.LANGUAGE_MODEL ? "lm_head." : "head.";
            t.put(p + "dense.weight", new long[] {h, h});
            if (c.classifierBias()) t.put(p + "dense.bias", new long[] {h});
            t.put(p + "norm.weight", new long[] {h});
            if (c.normBias()) t.put(p + "norm.bias", new long[] {h});
            if (head == HeadKind.LANGUAGE_MODEL) {
                if (!c.tieWordEmbeddings()) t.put("decoder.weight", new long[] {c.vocabSize(), h});
                if (c.decoderBias()) t.put("decoder.bias", new long[] {c.vocabSize()});
            } else {
                t.put("classifier.weight", new long[] {c.numLabels(), h});
                if (c.classifierBias()) t.put("classifier.bias", new long[] {c.numLabels()});
            }
        }
        return t;
    }

    static Path write(Path folder, ModernBertDecoderConfig config, Map<String, long[]> tensors, WeightFormat dtype) throws IOException {
        Files.writeString(folder.resolve("config.json"), config.toJson());
        return writeWeights(folder, tensors, dtype);
    }

    static Path writeWeights(Path folder, Map<String, long[]> tensors, WeightFormat dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        tensors.forEach((name, shape) -> w.add(name, dtype, shape, SafetensorsWriter.values(name, SafetensorsWriter.product(shape))));
        return w.write(folder.resolve("model.safetensors"));
    }
}
