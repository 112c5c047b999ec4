package org.modernbert.core.generation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.ModernBertException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationConfigTest {
    private static final String CONFIG = """
            {"vocab_size": 4096, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
             "num_attention_heads": 4, "pad_token_id": 4093, "eos_token_id": 4092, "bos_token_id": 4091,
             "cls_token_id": 4091, "sep_token_id": 4092}
            """;

    @Test
    void transformersDefaults() {
        GenerationConfig c = GenerationConfig.defaults();
        assertFalse(c.doSample());
        assertEquals(1.0, c.temperature());
        assertEquals(50, c.topK());
        assertEquals(1.0, c.topP());
        assertNull(c.minP());
        assertEquals(1.0, c.typicalP());
        assertEquals(1.0, c.repetitionPenalty());
        assertEquals(1, c.numReturnSequences());
        assertEquals(18, c.maxNewTokensFor(2));
        assertTrue(c.eosTokenIds().isEmpty());
    }

    @Test
    void readsGenerationConfigJsonOfTheBundledModel(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Files.writeString(dir.resolve("generation_config.json"), """
                {"bos_token_id": 4091, "eos_token_id": 4092, "pad_token_id": 4093, "do_sample": true,
                 "temperature": 0.8, "top_k": 40, "top_p": 0.95, "max_new_tokens": 64,
                 "transformers_version": "4.56.0"}
                """);
        GenerationConfig c = GenerationConfig.fromModelFolder(dir);
        assertTrue(c.doSample());
        assertEquals(0.8, c.temperature());
        assertEquals(40, c.topK());
        assertEquals(0.95, c.topP());
        assertEquals(64, c.maxNewTokens());
        assertEquals(List.of(4092), c.eosTokenIds());
        assertEquals(4093, c.padTokenId());
    }

    @Test
    void fallsBackToConfigJsonTokenIds(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        GenerationConfig none = GenerationConfig.fromModelFolder(dir);
        assertEquals(List.of(4092), none.eosTokenIds());
        assertEquals(4091, none.bosTokenId());
        assertEquals(4093, none.padTokenId());
        assertFalse(none.doSample());
        Files.writeString(dir.resolve("generation_config.json"), "{\"max_new_tokens\": 5, \"eos_token_id\": [4092, 7]}");
        GenerationConfig list = GenerationConfig.fromModelFolder(dir);
        assertEquals(List.of(4092, 7), list.eosTokenIds());
        assertEquals(4091, list.bosTokenId());
        assertEquals(5, list.maxNewTokens());
    }

    @Test
    void stopStringsMayBeOneStringOrAList() {
        assertEquals(List.of("\n\n"), GenerationConfig.fromJson("{\"stop_strings\": \"\\n\\n\"}", "x").stopStrings());
        assertEquals(List.of("a", "b"), GenerationConfig.fromJson("{\"stop_strings\": [\"a\", \"b\"]}", "x").stopStrings());
    }

    @Test
    void badJsonValuesNameTheFileAndField() {
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> GenerationConfig.fromJson("{\"top_k\": \"forty\"}", "generation_config.json"));
        assertTrue(e.getMessage().contains("generation_config.json") && e.getMessage().contains("top_k"), e.getMessage());
        ModernBertException beams = assertThrows(ModernBertException.class,
                () -> GenerationConfig.fromJson("{\"num_beams\": 4}", "g.json"));
        assertTrue(beams.getMessage().contains("num_beams"), beams.getMessage());
        ModernBertException range = assertThrows(ModernBertException.class,
                () -> GenerationConfig.fromJson("{\"do_sample\": true, \"top_p\": 0}", "g.json"));
        assertTrue(range.getMessage().contains("top_p"), range.getMessage());
    }

    private static void rejects(String field, Supplier<GenerationConfig.Builder> b) {
        ModernBertException e = assertThrows(ModernBertException.class, () -> b.get().build());
        assertTrue(e.getMessage().contains(field), "message names " + field + ": " + e.getMessage());
    }

    @Test
    void invalidValuesAreRejectedNamingTheField() {
        rejects("temperature", () -> GenerationConfig.builder().doSample(true).temperature(0));
        rejects("temperature", () -> GenerationConfig.builder().doSample(true).temperature(-1));
        rejects("top_p", () -> GenerationConfig.builder().topP(1.5));
        rejects("top_p", () -> GenerationConfig.builder().topP(0));
        rejects("min_p", () -> GenerationConfig.builder().minP(1.5));
        rejects("typical_p", () -> GenerationConfig.builder().typicalP(0));
        rejects("repetition_penalty", () -> GenerationConfig.builder().repetitionPenalty(0));
        rejects("top_k", () -> GenerationConfig.builder().topK(-1));
        rejects("max_new_tokens", () -> GenerationConfig.builder().maxNewTokens(0));
        rejects("max_length", () -> GenerationConfig.builder().maxLength(-3));
        rejects("min_new_tokens", () -> GenerationConfig.builder().minNewTokens(-1));
        rejects("no_repeat_ngram_size", () -> GenerationConfig.builder().noRepeatNgramSize(-2));
        rejects("num_return_sequences", () -> GenerationConfig.builder().numReturnSequences(0));
        rejects("num_return_sequences", () -> GenerationConfig.builder().numReturnSequences(2));
        // A negative eos id is accepted (transformers warns at generate; so does Generator): checked where used.
        assertEquals(List.of(-1), GenerationConfig.builder().eosTokenIds(List.of(-1)).build().eosTokenIds());
        rejects("stop_strings", () -> GenerationConfig.builder().stopStrings(List.of("")));
        rejects("max_time", () -> GenerationConfig.builder().maxTime(0.0));
        // Temperature 0 is fine for greedy decoding, where it is ignored (transformers only warns).
        assertEquals(0.0, GenerationConfig.builder().temperature(0).build().temperature());
    }

    @Test
    void samplingKnobsSetWithoutSamplingAreReportedAsIgnored() {
        assertEquals(List.of(), GenerationConfig.defaults().ignoredSamplingFields());
        GenerationConfig greedyWithKnobs = GenerationConfig.builder().temperature(0.7).topK(10).topP(0.9).minP(0.1)
                .typicalP(0.5).build();
        assertEquals(List.of("temperature", "top_k", "top_p", "min_p", "typical_p"), greedyWithKnobs.ignoredSamplingFields());
        // The same knobs are used, not ignored, when sampling.
        assertEquals(List.of(), greedyWithKnobs.toBuilder().doSample(true).build().ignoredSamplingFields());
        // greedy() over a sampling model's defaults resets the knobs, so nothing is reported.
        GenerationConfig sampling = GenerationConfig.builder().doSample(true).temperature(0.8).topK(40).topP(0.95)
                .numReturnSequences(3).build();
        GenerationConfig greedy = sampling.toBuilder().greedy().build();
        assertFalse(greedy.doSample());
        assertEquals(1, greedy.numReturnSequences());
        assertEquals(List.of(), greedy.ignoredSamplingFields());
    }
}
