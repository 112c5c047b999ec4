package org.modernbert.core.loading;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.Activation;
import org.modernbert.api.config.ConfigException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.core.safetensors.SafetensorsCheckpointTest;
import org.modernbert.core.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointLoaderTest {
    @TempDir
    Path dir;

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected \"" + p + "\" in: " + message);
        }
    }

    private static ModernBertDecoderConfig allBiasesUntied() {
        return SyntheticCheckpoint.tinyConfig().normBias(true).attentionBias(true).mlpBias(true).classifierBias(true)
                .decoderBias(true).tieWordEmbeddings(false).build();
    }

    private CheckpointException failsWith(ModernBertDecoderConfig config, Map<String, long[]> tensors, HeadKind head) throws IOException {
        SyntheticCheckpoint.write(dir, config, tensors, WeightFormat.F32);
        return assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir, head));
    }

    @Test
    void everyOptionalTensorIsMappedWhenTheConfigAsksForIt() throws IOException {
        ModernBertDecoderConfig config = allBiasesUntied();
        Map<String, long[]> tensors = SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL);
        SyntheticCheckpoint.write(dir, config, tensors, WeightFormat.F32);
        try (LoadedCheckpoint c = CheckpointLoader.load(dir, HeadKind.LANGUAGE_MODEL)) {
            ModelWeights w = c.weights();
            assertNotNull(w.embeddingNormBias());
            assertNotNull(w.finalNormBias());
            for (LayerWeights l : w.layers()) {
                assertEquals(l.index() > 0, l.attnNorm() != null);
                assertEquals(l.index() > 0, l.attnNormBias() != null);
                for (Tensor t : List.of(l.bq(), l.bk(), l.bv(), l.bo(), l.mlpNormBias(), l.bMlpOut())) {
                    assertNotNull(t);
                }
                assertArrayEquals(new long[] {24}, l.bi().shape());
            }
            HeadWeights head = w.head();
            assertEquals("decoder.weight", head.projection().name(), "tie_word_embeddings false: the stored decoder");
            assertNotSame(w.tokenEmbeddings(), head.projection());
            assertEquals("lm_head.dense.bias", head.denseBias().name(), "dense bias follows classifier_bias");
            assertEquals("lm_head.norm.bias", head.normBias().name(), "norm bias follows norm_bias");
            assertEquals("decoder.bias", head.projectionBias().name());
            // F32 values come back bit for bit.
            String name = "model.layers.2.mlp.Wi.weight";
            assertArrayEquals(SafetensorsWriter.values(name, 24 * 8), w.layers().get(2).wi().toFloatArray());
            assertEquals(c.config().numHiddenLayers(), w.layers().size());
        }
    }

    @Test
    void f16CheckpointLoads() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        SyntheticCheckpoint.write(dir, config, SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL), WeightFormat.F16);
        try (LoadedCheckpoint c = CheckpointLoader.load(dir)) {
            Tensor tok = c.weights().tokenEmbeddings();
            assertEquals(WeightFormat.F16, tok.format());
            float[] expected = SafetensorsWriter.values(tok.name(), 32 * 8);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(expected[i])), tok.getFloat(i));
            }
            assertSame(tok, c.weights().head().projection(), "tied decoder");
        }
    }

    @Test
    void classifierHead() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().classifierActivation(Activation.SILU)
                .architectures(List.of("ModernBertDecoderForSequenceClassification"))
                .id2label(Map.of(0, "a", 1, "b", 2, "c")).build();
        SyntheticCheckpoint.write(dir, config, SyntheticCheckpoint.tensorsFor(config, HeadKind.CLASSIFIER), WeightFormat.BF16);
        try (LoadedCheckpoint c = CheckpointLoader.load(dir)) {
            HeadWeights head = c.weights().head();
            assertEquals(HeadKind.CLASSIFIER, head.kind());
            assertEquals(3, head.outputs());
            assertEquals(Activation.SILU, head.activation());
            assertEquals("classifier.weight", head.projection().name());
            assertArrayEquals(new long[] {3, 8}, head.projection().shape());
            assertNull(head.projectionBias(), "classifier_bias is false");
            assertEquals("head.dense.weight", head.dense().name());
        }
    }

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws IOException {
        SafetensorsCheckpointTest.writeShardedFixture(dir);
        try (LoadedCheckpoint sharded = CheckpointLoader.load(dir);
             LoadedCheckpoint single = CheckpointLoader.load(CheckpointLoaderFixtureTest.fixture())) {
            assertEquals("model.safetensors.index.json", sharded.source().getFileName().toString());
            List<LayerWeights> a = sharded.weights().layers();
            List<LayerWeights> b = single.weights().layers();
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(b.get(i).wi().toFloatArray(), a.get(i).wi().toFloatArray());
                assertArrayEquals(b.get(i).wq().toFloatArray(), a.get(i).wq().toFloatArray());
            }
            assertArrayEquals(single.weights().head().projectionBias().toFloatArray(),
                    sharded.weights().head().projectionBias().toFloatArray());
        }
    }

    @Test
    void tiedDecoderIgnoresAStoredCopy() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        Map<String, long[]> tensors = SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL);
        tensors.put("decoder.weight", new long[] {32, 8});
        SyntheticCheckpoint.write(dir, config, tensors, WeightFormat.F32);
        try (LoadedCheckpoint c = CheckpointLoader.load(dir)) {
            assertSame(c.weights().tokenEmbeddings(), c.weights().head().projection(),
                    "transformers re-ties after loading: the embedding wins");
        }
    }

    @Test
    void untiedDecoderMustBePresent() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().tieWordEmbeddings(false).build();
        Map<String, long[]> tensors = SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL);
        tensors.remove("decoder.weight");
        assertContains(failsWith(config, tensors, HeadKind.LANGUAGE_MODEL).getMessage(), "1 missing tensor: decoder.weight");
    }

    @Test
    void tensorShapeDisagreeingWithConfig() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        Map<String, long[]> tensors = SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL);
        tensors.put("model.layers.1.attn.q_proj.weight", new long[] {8, 4});
        tensors.put("model.layers.2.mlp.Wi.weight", new long[] {12, 8});
        String m = failsWith(config, tensors, HeadKind.LANGUAGE_MODEL).getMessage();
        assertContains(m, "tensor model.layers.1.attn.q_proj.weight has shape [8, 4] but config.json (hidden_size 8) implies [8, 8]",
                "tensor model.layers.2.mlp.Wi.weight has shape [12, 8] but config.json (2 x intermediate_size 12 = 24, hidden_size 8) implies [24, 8]");
        assertFalse(m.contains("missing"), m);
    }

    @Test
    void manyShapeErrorsAreSummarised() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        SyntheticCheckpoint.writeWeights(dir, SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL), WeightFormat.F32);
        Files.writeString(dir.resolve("config.json"), SyntheticCheckpoint.tinyConfig().hiddenSize(16).build().toJson());
        String m = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir)).getMessage();
        assertContains(m, "tensor model.embeddings.tok_embeddings.weight has shape [32, 8] but config.json (vocab_size 32, hidden_size 16) implies [32, 16]",
                "and 20 more tensors with shapes that disagree with config.json");
    }

    @Test
    void missingAndUnexpectedTensorsAreAllNamed() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        Map<String, long[]> tensors = SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL);
        tensors.remove("model.layers.2.mlp.Wo.weight");
        tensors.remove("lm_head.norm.weight");
        tensors.put("model.layers.2.mlp.extra.weight", new long[] {8});
        tensors.put("model.layers.0.attn_norm.weight", new long[] {8});
        tensors.put("model.layers.1.attn.k_proj.bias", new long[] {8});
        String m = failsWith(config, tensors, HeadKind.LANGUAGE_MODEL).getMessage();
        assertContains(m, "does not fit config.json for a causal LM",
                "2 missing tensors: model.layers.2.mlp.Wo.weight, lm_head.norm.weight",
                "3 unexpected tensors: ",
                "model.layers.0.attn_norm.weight (layer 0 has no attn_norm)",
                "model.layers.1.attn.k_proj.bias (attention_bias is false)",
                "model.layers.2.mlp.extra.weight");
    }

    @Test
    void biasMissingWhenConfigSaysPresent() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().normBias(true).build();
        Map<String, long[]> tensors = SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL);
        tensors.remove("model.final_norm.bias");
        assertContains(failsWith(config, tensors, HeadKind.LANGUAGE_MODEL).getMessage(),
                "1 missing tensor: model.final_norm.bias (norm_bias is true)");
    }

    @Test
    void classifierCheckpointIsNotACausalLm() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        String m = failsWith(config, SyntheticCheckpoint.tensorsFor(config, HeadKind.CLASSIFIER), HeadKind.LANGUAGE_MODEL).getMessage();
        assertContains(m, "missing tensors: lm_head.dense.weight, lm_head.norm.weight, decoder.bias (decoder_bias is true)",
                "unexpected tensors: classifier.weight, head.dense.weight, head.norm.weight");
    }

    @Test
    void baseModelSavedWithoutPrefixLoads() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().architectures(List.of("ModernBertDecoderModel")).build();
        Map<String, long[]> tensors = new LinkedHashMap<>();
        SyntheticCheckpoint.tensorsFor(config, null).forEach((name, shape) -> tensors.put(name.substring("model.".length()), shape));
        SyntheticCheckpoint.write(dir, config, tensors, WeightFormat.F32);
        try (LoadedCheckpoint c = CheckpointLoader.load(dir)) {
            assertNull(c.weights().head());
            assertEquals("layers.1.attn_norm.weight", c.weights().layers().get(1).attnNorm().name());
        }
    }

    @Test
    void hiddenSizeNotDivisibleByHeads() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        SyntheticCheckpoint.write(dir, config, SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL), WeightFormat.F32);
        Files.writeString(dir.resolve("config.json"), config.toJson().replace("\"num_attention_heads\" : 2", "\"num_attention_heads\" : 3"));
        ConfigException e = assertThrows(ConfigException.class, () -> CheckpointLoader.load(dir, HeadKind.LANGUAGE_MODEL));
        assertContains(e.getMessage(), dir.resolve("config.json").toString(), "hidden_size 8 is not divisible by num_attention_heads 3");
    }

    @Test
    void missingConfigJson() throws IOException {
        ModernBertDecoderConfig config = SyntheticCheckpoint.tinyConfig().build();
        SyntheticCheckpoint.writeWeights(dir, SyntheticCheckpoint.tensorsFor(config, HeadKind.LANGUAGE_MODEL), WeightFormat.F32);
        ModernBertException e = assertThrows(ModernBertException.class, () -> CheckpointLoader.load(dir));
        assertContains(e.getMessage(), "model folder " + dir + " has no config.json");
    }

    @Test
    void headForPicksFromArchitectures() {
        assertEquals(HeadKind.LANGUAGE_MODEL, CheckpointLoader.headFor(SyntheticCheckpoint.tinyConfig().build()));
        assertEquals(HeadKind.CLASSIFIER, CheckpointLoader.headFor(SyntheticCheckpoint.tinyConfig()
                .architectures(List.of("ModernBertDecoderForSequenceClassification")).build()));
        assertNull(CheckpointLoader.headFor(SyntheticCheckpoint.tinyConfig().architectures(List.of("ModernBertDecoderModel")).build()));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.headFor(
                SyntheticCheckpoint.tinyConfig().architectures(List.of("ModernBertForMaskedLM")).build()));
        assertContains(e.getMessage(), "[ModernBertForMaskedLM] names no supported model", "ModernBERT encoder",
                "ModernBertDecoderForCausalLM, ModernBertDecoderForSequenceClassification, ModernBertDecoderModel");
        e = assertThrows(CheckpointException.class, () -> CheckpointLoader.headFor(
                SyntheticCheckpoint.tinyConfig().architectures(List.of()).build()));
        assertContains(e.getMessage(), "architectures [] names no supported model");
    }
}
