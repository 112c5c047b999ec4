package org.modernbert.api.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.modernbert.api.config.AttentionType.FULL_ATTENTION;
import static org.modernbert.api.config.AttentionType.SLIDING_ATTENTION;

class ModernBertDecoderConfigTest {

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected \"" + p + "\" in: " + message);
        }
    }

    private static String fails(String json) {
        return assertThrows(ConfigException.class, () -> ModernBertDecoderConfig.fromJson(json)).getMessage();
    }

    @Test
    void defaultsAreThoseOfTheTransformersDocs() {
        // shared/seed/modernbert-decoder-transformers-docs.txt, ModernBertDecoderConfig parameters
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{}");
        assertEquals(50368, c.vocabSize());
        assertEquals(768, c.hiddenSize());
        assertEquals(1152, c.intermediateSize());
        assertEquals(22, c.numHiddenLayers());
        assertEquals(12, c.numAttentionHeads());
        assertEquals(Activation.GELU, c.hiddenActivation());
        assertEquals(8192, c.maxPositionEmbeddings());
        assertEquals(0.02, c.initializerRange());
        assertEquals(2.0, c.initializerCutoffFactor());
        assertEquals(1e-5, c.normEps());
        assertFalse(c.normBias());
        assertEquals(50283, c.padTokenId());
        assertEquals(50282, c.eosTokenId());
        assertEquals(50281, c.bosTokenId());
        assertEquals(50281, c.clsTokenId());
        assertEquals(50282, c.sepTokenId());
        assertEquals(160000.0, c.globalRopeTheta());
        assertFalse(c.attentionBias());
        assertEquals(0.0, c.attentionDropout());
        assertEquals(0.0, c.embeddingDropout());
        assertFalse(c.mlpBias());
        assertEquals(0.0, c.mlpDropout());
        assertTrue(c.decoderBias());
        assertEquals(0.0, c.classifierDropout());
        assertFalse(c.classifierBias());
        assertEquals(Activation.GELU, c.classifierActivation());
        assertTrue(c.useCache());
        assertEquals(128, c.localAttention());
        assertEquals(3, c.globalAttnEveryNLayers());
        assertEquals(160000.0, c.localRopeTheta());
        // PretrainedConfig defaults
        assertTrue(c.tieWordEmbeddings());
        assertEquals(2, c.numLabels());
        assertEquals(Map.of(0, "LABEL_0", 1, "LABEL_1"), c.id2label());
        assertEquals(Map.of("LABEL_0", 0, "LABEL_1", 1), c.label2id());
        assertNull(c.problemType());
        assertEquals(ProblemType.SINGLE_LABEL_CLASSIFICATION, c.effectiveProblemType());
        // derived
        assertEquals(64, c.headDim());
        assertEquals(64, c.slidingWindow());
        assertEquals(c.toJson(), ModernBertDecoderConfig.builder().build().toJson(), "builder and {} agree");
    }

    @Test
    void layerTypesDerivedWithTheModuloRule() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{\"num_hidden_layers\": 7, \"global_rope_theta\": 1e5, \"local_rope_theta\": 1e4}");
        assertFalse(c.layerTypesExplicit());
        assertEquals(List.of(FULL_ATTENTION, SLIDING_ATTENTION, SLIDING_ATTENTION, FULL_ATTENTION, SLIDING_ATTENTION,
                SLIDING_ATTENTION, FULL_ATTENTION), c.layerTypes(), "full attention when i % 3 == 0");
        assertEquals(1e5, c.ropeTheta(3));
        assertEquals(1e4, c.ropeTheta(4));
        ModernBertDecoderConfig every2 = ModernBertDecoderConfig.fromJson("{\"num_hidden_layers\": 4, \"global_attn_every_n_layers\": 2}");
        assertEquals(List.of(FULL_ATTENTION, SLIDING_ATTENTION, FULL_ATTENTION, SLIDING_ATTENTION), every2.layerTypes());
    }

    @Test
    void explicitLayerTypesWin() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{\"num_hidden_layers\": 3, \"global_attn_every_n_layers\": 3,"
                + " \"layer_types\": [\"sliding_attention\", \"full_attention\", \"full_attention\"]}");
        assertTrue(c.layerTypesExplicit());
        assertEquals(List.of(SLIDING_ATTENTION, FULL_ATTENTION, FULL_ATTENTION), c.layerTypes());
        assertTrue(c.toJson().contains("\"layer_types\""));
        assertEquals(c.layerTypes(), ModernBertDecoderConfig.fromJson(c.toJson()).layerTypes());
    }

    @Test
    void badLayerTypes() {
        assertContains(fails("{\"num_hidden_layers\": 4, \"layer_types\": [\"full_attention\", \"sliding_attention\", \"full_attention\"]}"),
                "layer_types has 3 entries but num_hidden_layers is 4");
        assertContains(fails("{\"num_hidden_layers\": 2, \"layer_types\": [\"full_attention\", \"dense\"]}"),
                "field layer_types[1] is \"dense\"", "\"full_attention\" or \"sliding_attention\"");
    }

    @Test
    void slidingWindowKeyIsIgnored() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{\"local_attention\": 64, \"sliding_window\": 999}");
        assertEquals(32, c.slidingWindow());
        assertFalse(c.extra().containsKey("sliding_window"));
        assertFalse(c.toJson().contains("999"));
    }

    @Test
    void unknownKeysAreKept() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{\"my_key\": {\"a\": [1, 2]}, \"model_type\": \"modernbert-decoder\"}");
        assertEquals("{\"a\":[1,2]}", c.extra().get("my_key").toString());
        assertFalse(c.extra().containsKey("model_type"));
        ModernBertDecoderConfig again = ModernBertDecoderConfig.fromJson(c.toJson());
        assertEquals(c.extra(), again.extra());
        assertEquals(c.toJson(), again.toJson());
    }

    @Test
    void labelsAndProblemType() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{\"id2label\": {\"0\": \"neg\", \"1\": \"neu\", \"2\": \"pos\"},"
                + " \"label2id\": {\"neg\": 0, \"neu\": 1, \"pos\": 2}, \"num_labels\": 3, \"problem_type\": \"multi_label_classification\"}");
        assertEquals(3, c.numLabels());
        assertEquals("neu", c.id2label().get(1));
        assertEquals(2, c.label2id().get("pos"));
        assertEquals(ProblemType.MULTI_LABEL_CLASSIFICATION, c.problemType());
        assertEquals(ProblemType.MULTI_LABEL_CLASSIFICATION, c.effectiveProblemType());

        ModernBertDecoderConfig generated = ModernBertDecoderConfig.fromJson("{\"num_labels\": 3}");
        assertEquals(Map.of(0, "LABEL_0", 1, "LABEL_1", 2, "LABEL_2"), generated.id2label());
        assertEquals(1, generated.label2id().get("LABEL_1"));

        ModernBertDecoderConfig regression = ModernBertDecoderConfig.fromJson("{\"num_labels\": 1}");
        assertEquals(ProblemType.REGRESSION, regression.effectiveProblemType());

        // PretrainedConfig: id2label wins over a disagreeing num_labels (a warning there), its ids as given
        ModernBertDecoderConfig disagreeing = ModernBertDecoderConfig.fromJson(
                "{\"num_labels\": 2, \"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}}");
        assertEquals(3, disagreeing.numLabels());
        ModernBertDecoderConfig gap = ModernBertDecoderConfig.fromJson("{\"id2label\": {\"0\": \"a\", \"2\": \"c\"}}");
        assertEquals(2, gap.numLabels());
        assertEquals("c", gap.id2label().get(2));
        assertEquals(0, ModernBertDecoderConfig.fromJson("{\"num_labels\": 0}").numLabels());
        assertContains(fails("{\"id2label\": {\"zero\": \"a\"}}"), "field id2label has key \"zero\": expected an integer id");
        assertContains(fails("{\"problem_type\": \"ranking\"}"), "field problem_type is \"ranking\"", "regression, single_label_classification");
    }

    @Test
    void validationNamesFieldAndValue() {
        assertContains(fails("{\"hidden_size\": 100, \"num_attention_heads\": 12}"),
                "hidden_size 100 is not divisible by num_attention_heads 12");
        assertContains(fails("{\"vocab_size\": 0}"), "vocab_size must be positive, got 0");
        assertContains(fails("{\"num_hidden_layers\": -2}"), "num_hidden_layers must be positive, got -2");
        assertContains(fails("{\"vocab_size\": 512, \"pad_token_id\": 600, \"bos_token_id\": 1, \"eos_token_id\": 2,"
                + " \"cls_token_id\": 1, \"sep_token_id\": 2}"), "pad_token_id 600 is outside the vocabulary of 512 tokens"
                + " (accepted: -512 to 511, or null): transformers builds the token embedding with padding_idx = pad_token_id"
                + " and fails to construct the model with it");
        assertContains(fails("{\"hidden_size\": \"big\"}"), "field hidden_size must be an integer, got \"big\"");
        assertContains(fails("{\"norm_bias\": \"false\"}"), "field norm_bias must be true or false (or 0/1), got \"false\"");
        assertContains(fails("{\"hidden_activation\": \"mish\"}"), "field hidden_activation has unsupported activation \"mish\"");
        assertContains(fails("{\"local_attention\": 1}"), "local_attention must be at least 2 when a layer uses sliding attention");
        assertContains(fails("{\"hidden_size\": 36, \"num_attention_heads\": 12}"), "head dimension", "is odd",
                "transformers fails at its first forward");
        assertContains(fails("{\"hidden_size\": 100, \"num_attention_heads\": 12}"), "transformers refuses it too");
        assertContains(fails("{\"vocab_size\": -5}"), "vocab_size must be positive, got -5 (transformers cannot build");
        assertContains(fails("[1, 2]"), "config must be a JSON object");
        assertContains(fails("{\"model_type\": \"llama\", \"vocab_size\": 512}"),
                "model_type is \"llama\": this SDK runs ModernBERT decoder checkpoints");
        assertContains(fails("{\"model_type\": \"modernbert\"}"), "the ModernBERT encoder");
        ModernBertDecoderConfig.fromJson("{\"model_type\": \"modernbert-decoder\"}");
        assertContains(fails("{\"hidden_size\": "), "config is not valid JSON");
    }

    @Test
    void fileErrorsNameTheFile(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 10, \"num_attention_heads\": 4}");
        ConfigException e = assertThrows(ConfigException.class, () -> ModernBertDecoderConfig.fromJsonFile(f));
        assertContains(e.getMessage(), f.toString(), "hidden_size 10 is not divisible by num_attention_heads 4");
        Path missing = dir.resolve("nope.json");
        assertContains(assertThrows(ConfigException.class, () -> ModernBertDecoderConfig.fromJsonFile(missing)).getMessage(),
                "cannot read " + missing);
    }

    // ---- issue 9, item 1: accept what transformers accepts, check on use ----

    private static final String SMALL = "\"vocab_size\": 4096, \"hidden_size\": 64, \"num_attention_heads\": 4,"
            + " \"num_hidden_layers\": 3, \"pad_token_id\": 4093";

    @Test
    void clsAndSepAtTheirDefaultsLoadWithASmallVocabulary() {
        // cls/sep left at 50281/50282, as transformers' defaults leave them; transformers loads this.
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{" + SMALL + ", \"eos_token_id\": 4092, \"bos_token_id\": 4091}");
        assertEquals(50281, c.clsTokenId());
        assertEquals(50282, c.sepTokenId());
        assertEquals(4096, c.vocabSize());
    }

    @Test
    void eosAndBosOutsideTheVocabularyLoadAndAreCheckedWhereUsed() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{" + SMALL + "}");
        assertEquals(50282, c.eosTokenId(), "checked by generate, which warns");
        assertEquals(50281, c.bosTokenId());
        ModernBertDecoderConfig negative = ModernBertDecoderConfig.fromJson("{" + SMALL + ", \"eos_token_id\": -1,"
                + " \"bos_token_id\": -7, \"cls_token_id\": 99999, \"sep_token_id\": null}");
        assertEquals(-1, negative.eosTokenId());
        assertNull(negative.sepTokenId());
    }

    @Test
    void padTokenIdFollowsTorchsPaddingIdxRange() {
        // nn.Embedding(vocab_size, hidden_size, padding_idx=pad_token_id) accepts -vocab_size..vocab_size-1
        assertEquals(-1, ModernBertDecoderConfig.fromJson("{\"vocab_size\": 512, \"pad_token_id\": -1}").padTokenId());
        assertEquals(-512, ModernBertDecoderConfig.fromJson("{\"vocab_size\": 512, \"pad_token_id\": -512}").padTokenId());
        assertNull(ModernBertDecoderConfig.fromJson("{\"vocab_size\": 512, \"pad_token_id\": null}").padTokenId());
        assertContains(fails("{\"vocab_size\": 512, \"pad_token_id\": -513}"), "pad_token_id -513 is outside the vocabulary",
                "accepted: -512 to 511, or null");
        // the transformers default pad 50283 with a small vocabulary: transformers fails building the model
        assertContains(fails("{\"vocab_size\": 4096, \"hidden_size\": 64, \"num_attention_heads\": 4}"),
                "pad_token_id 50283 is outside the vocabulary of 4096 tokens");
    }

    @Test
    void eosTokenIdListsAreKeptWhole() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{" + SMALL + ", \"eos_token_id\": [4092, 4095]}");
        assertEquals(4092, c.eosTokenId());
        assertEquals(List.of(4092, 4095), c.eosTokenIds());
        assertEquals(List.of(4092, 4095), ModernBertDecoderConfig.fromJson(c.toJson()).eosTokenIds(), "round trip");
        ModernBertDecoderConfig empty = ModernBertDecoderConfig.fromJson("{" + SMALL + ", \"eos_token_id\": []}");
        assertNull(empty.eosTokenId());
        assertEquals(List.of(), empty.eosTokenIds());
        assertContains(fails("{\"eos_token_id\": [1, \"x\"]}"), "field eos_token_id[1] must be an integer, got \"x\"");
    }

    @Test
    void booleansReadAsPythonReadsIntegersAndNull() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("{\"norm_bias\": 1, \"mlp_bias\": 0, \"use_cache\": null}");
        assertTrue(c.normBias());
        assertFalse(c.mlpBias());
        assertFalse(c.useCache());
    }

    @Test
    void settingsNoLayerUsesAreNotChecked() {
        // every layer full attention: the sliding window and its rope theta are unused
        ModernBertDecoderConfig allFull = ModernBertDecoderConfig.fromJson("{\"num_hidden_layers\": 2, \"local_attention\": 0,"
                + " \"local_rope_theta\": 0, \"layer_types\": [\"full_attention\", \"full_attention\"],"
                + " \"global_attn_every_n_layers\": 0}");
        assertEquals(2, allFull.numHiddenLayers());
        assertContains(fails("{\"num_hidden_layers\": 2, \"local_attention\": 0}"),
                "local_attention must be at least 2 when a layer uses sliding attention, got 0");
        assertContains(fails("{\"num_hidden_layers\": 2, \"local_rope_theta\": -1}"),
                "local_rope_theta must be a positive number when a layer uses sliding attention, got -1.0");
        assertContains(fails("{\"global_rope_theta\": 0}"), "global_rope_theta must be a positive number when a layer uses full attention");
        assertContains(fails("{\"global_attn_every_n_layers\": 0}"), "global_attn_every_n_layers must not be 0 without layer_types");
        // all sliding: the global theta is unused; a negative period works as Python's i % n == 0 does
        assertEquals(1e4, ModernBertDecoderConfig.fromJson("{\"num_hidden_layers\": 1, \"global_rope_theta\": 0,"
                + " \"local_rope_theta\": 1e4, \"layer_types\": [\"sliding_attention\"]}").localRopeTheta());
        assertEquals(List.of(FULL_ATTENTION, SLIDING_ATTENTION, SLIDING_ATTENTION, FULL_ATTENTION),
                ModernBertDecoderConfig.fromJson("{\"num_hidden_layers\": 4, \"global_attn_every_n_layers\": -3}").layerTypes());
    }

    @Test
    void localRopeThetaNullMeansTheGlobalOneWhateverTheKeyOrder() {
        assertEquals(1e5, ModernBertDecoderConfig.fromJson("{\"local_rope_theta\": null, \"global_rope_theta\": 1e5}").localRopeTheta());
        assertEquals(1e5, ModernBertDecoderConfig.fromJson("{\"global_rope_theta\": 1e5, \"local_rope_theta\": null}").localRopeTheta());
    }

    @Test
    void dropoutsOutsideZeroToOneAreRefusedAsTorchRefusesThem() {
        assertContains(fails("{\"attention_dropout\": 1.5}"), "attention_dropout must be between 0 and 1, got 1.5");
        assertContains(fails("{\"embedding_dropout\": -0.1}"), "embedding_dropout must be between 0 and 1, got -0.1");
        assertContains(fails("{\"mlp_dropout\": 2}"), "mlp_dropout must be between 0 and 1");
        assertEquals(1.0, ModernBertDecoderConfig.fromJson("{\"mlp_dropout\": 1}").mlpDropout());
    }

    @Test
    void normEpsZeroLoadsANegativeOneIsRefused() {
        assertEquals(0.0, ModernBertDecoderConfig.fromJson("{\"norm_eps\": 0}").normEps());
        assertContains(fails("{\"norm_eps\": -1e-5}"), "norm_eps must be a finite number >= 0, got -1.0E-5");
    }

    @Test
    void ropeParametersGiveTheThetasAndOtherRopeTypesAreRefused() {
        ModernBertDecoderConfig v5 = ModernBertDecoderConfig.fromJson("{\"rope_parameters\": {\"full_attention\":"
                + " {\"rope_type\": \"default\", \"rope_theta\": 160000.0}, \"sliding_attention\": {\"rope_type\": \"default\","
                + " \"rope_theta\": 10000.0}}}");
        assertEquals(160000.0, v5.globalRopeTheta());
        assertEquals(10000.0, v5.localRopeTheta());
        assertEquals(v5.localRopeTheta(), ModernBertDecoderConfig.fromJson(v5.toJson()).localRopeTheta(), "round trip");
        assertEquals(5e5, ModernBertDecoderConfig.fromJson("{\"rope_scaling\": {\"rope_type\": \"default\", \"rope_theta\": 5e5}}")
                .globalRopeTheta(), "a flat dict applies to full attention");
        ModernBertDecoderConfig.fromJson("{\"rope_scaling\": null}");
        assertContains(fails("{\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0}}"),
                "field rope_scaling has rope_type \"linear\": this SDK implements only the default rotary embedding");
        assertContains(fails("{\"rope_parameters\": {\"sliding_attention\": {\"type\": \"yarn\"}}}"),
                "field rope_parameters.sliding_attention has rope_type \"yarn\"");
    }
}
