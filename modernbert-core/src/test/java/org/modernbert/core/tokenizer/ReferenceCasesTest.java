package org.modernbert.core.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.modernbert.api.tokenizer.Encoding;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every case of cases.jsonl (produced by HF tokenizers) and the kjv-mbd-4m prompts must match exactly. */
class ReferenceCasesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> cases() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(FixtureTokenizers.dir("modernbert-style").resolve("cases.jsonl"))) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyReferenceCaseMatches() throws IOException {
        HuggingFaceTokenizer tok = FixtureTokenizers.MODERNBERT_STYLE;
        List<JsonNode> cases = cases();
        assertEquals(100, cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest("case " + cases.indexOf(c) + ": '" + c.get("text").asText() + "'", () -> {
            String text = c.get("text").asText();
            int[] withSpecial = ints(c.get("ids_with_special"));
            int[] withoutSpecial = ints(c.get("ids_without_special"));
            assertArrayEquals(withSpecial, tok.encode(text, true).ids(), "ids_with_special");
            assertArrayEquals(withoutSpecial, tok.encode(text, false).ids(), "ids_without_special");
            assertEquals(c.get("decoded").asText(), tok.decode(withSpecial, false), "decoded");
            assertEquals(c.get("decoded_skip_special").asText(), tok.decode(withSpecial, true), "decoded_skip_special");
        }));
    }

    @Test
    void batchEncodingEqualsSingleEncoding() throws IOException {
        HuggingFaceTokenizer tok = FixtureTokenizers.MODERNBERT_STYLE;
        List<String> texts = cases().stream().map(c -> c.get("text").asText()).toList();
        List<Encoding> batch = tok.encodeBatch(texts, true);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(tok.encode(texts.get(i), true).ids(), batch.get(i).ids(), texts.get(i));
        }
    }

    @Test
    void offsetsPointIntoTheOriginalText() {
        HuggingFaceTokenizer tok = FixtureTokenizers.MODERNBERT_STYLE;
        String text = "Hello, café 👋 [MASK] end";
        Encoding e = tok.encode(text, true);
        assertEquals("[CLS]", e.tokens()[0]);
        assertArrayEquals(new int[]{0, 0}, e.offsets()[0]);
        for (int i = 0; i < e.length(); i++) {
            assertEquals(i == 0 || i == e.length() - 1 ? 1 : 0, e.specialTokensMask()[i], "special mask at " + i);
        }
        // "Hello" then "," then " café" (one or more tokens) ...
        assertEquals("Hello", text.substring(e.offsets()[1][0], e.offsets()[1][1]));
        assertEquals(",", text.substring(e.offsets()[2][0], e.offsets()[2][1]));
        for (int i = 1; i < e.length() - 1; i++) {
            int[] o = e.offsets()[i];
            assertTrue(0 <= o[0] && o[0] <= o[1] && o[1] <= text.length(), "offset in range");
        }
        int mask = e.length() - 3;
        assertEquals(50284, e.ids()[mask]);
        assertEquals(" [MASK]", text.substring(e.offsets()[mask][0], e.offsets()[mask][1]), "lstrip takes the space");
    }

    @Test
    void kjvPromptsMatchGoldenPromptIds() throws IOException {
        JsonNode golden = JSON.readTree(FixtureTokenizers.dir("kjv-mbd-4m").resolve("golden.json").toFile());
        JsonNode prompts = golden.get("prompts");
        assertTrue(prompts.size() >= 4);
        for (JsonNode p : prompts) {
            int[] expected = ints(p.get("prompt_ids"));
            assertArrayEquals(expected, FixtureTokenizers.KJV.encodeForGeneration(p.get("prompt").asText()), p.get("prompt").asText());
            // The kjv template is "[CLS] $A": with special tokens it gives the same ids.
            assertArrayEquals(expected, FixtureTokenizers.KJV.encode(p.get("prompt").asText(), true).ids());
            int[] all = ints(p.get("greedy_ids"));
            int[] full = new int[expected.length + all.length];
            System.arraycopy(expected, 0, full, 0, expected.length);
            System.arraycopy(all, 0, full, expected.length, all.length);
            assertEquals(p.get("decoded_text").asText(), FixtureTokenizers.KJV.decode(full, true));
        }
    }

    @Test
    void generationPromptHasClsAndNoTrailingSep() {
        HuggingFaceTokenizer tok = FixtureTokenizers.MODERNBERT_STYLE;
        int[] withTemplate = tok.encode("The capital of France is", true).ids();
        int[] prompt = tok.encodeForGeneration("The capital of France is");
        assertArrayEquals(new int[]{50281, 464, 3139, 286, 4881, 318}, prompt);
        assertEquals(50282, withTemplate[withTemplate.length - 1]);
        assertEquals(tok.specialTokens().eosTokenId(), withTemplate[withTemplate.length - 1]);
        assertArrayEquals(new int[]{50281}, tok.encodeForGeneration(""));
    }
}
