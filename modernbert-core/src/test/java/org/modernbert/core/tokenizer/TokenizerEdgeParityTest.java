package org.modernbert.core.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.Encoding;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with Hugging Face {@code tokenizers} at the edges: added tokens whose declared ids are not
 * contiguous with the vocabulary, the {@code padding} section in encode and encode_batch, and decoding ids
 * outside the vocabulary. Expected values come from the library itself (src/test/resources/tokenizer-edges,
 * see its README).
 */
class TokenizerEdgeParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String resource(String name) {
        try (InputStream in = TokenizerEdgeParityTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final String BASE = resource("/tokenizers/modernbert-style/tokenizer.json");

    /** The fixture tokenizer.json with some top-level keys replaced. */
    static HuggingFaceTokenizer variant(JsonNode patch) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(BASE);
        Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            json.set(e.getKey(), e.getValue());
        }
        return HuggingFaceTokenizer.fromJson(JSON.writeValueAsString(json), null, "tokenizer.json", "tokenizer_config.json");
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static void assertEncoding(JsonNode expected, Encoding actual, String what) {
        assertArrayEquals(ints(expected.get("ids")), actual.ids(), what + ": ids");
        List<String> tokens = new ArrayList<>();
        expected.get("tokens").forEach(t -> tokens.add(t.asText()));
        assertEquals(tokens, List.of(actual.tokens()), what + ": tokens");
        assertArrayEquals(ints(expected.get("typeIds")), actual.typeIds(), what + ": type ids");
        assertArrayEquals(ints(expected.get("attentionMask")), actual.attentionMask(), what + ": attention mask");
        assertArrayEquals(ints(expected.get("specialTokensMask")), actual.specialTokensMask(), what + ": special tokens mask");
        JsonNode offsets = expected.get("offsets");
        assertEquals(offsets.size(), actual.offsets().length, what + ": offsets");
        for (int i = 0; i < offsets.size(); i++) {
            assertArrayEquals(ints(offsets.get(i)), actual.offsets()[i], what + ": offsets[" + i + "]");
        }
    }

    @TestFactory
    List<DynamicNode> matchesHuggingFaceTokenizers() throws IOException {
        JsonNode root = JSON.readTree(resource("/tokenizer-edges/expected.json"));
        List<DynamicNode> out = new ArrayList<>();
        for (JsonNode v : root.get("variants")) {
            HuggingFaceTokenizer t = variant(v.get("patch"));
            String name = v.get("name").asText();
            List<DynamicTest> tests = new ArrayList<>();
            tests.add(DynamicTest.dynamicTest("vocabulary", () -> {
                assertEquals(v.get("vocabSize").asInt(), t.vocabSize(), "vocab size with added tokens");
                v.get("tokenToId").fields().forEachRemaining(e -> assertEquals(
                        e.getValue().isNull() ? null : e.getValue().asInt(), t.tokenToId(e.getKey()), "tokenToId " + e.getKey()));
                v.get("idToToken").fields().forEachRemaining(e -> assertEquals(
                        e.getValue().isNull() ? null : e.getValue().asText(), t.idToToken(Integer.parseInt(e.getKey())),
                        "idToToken " + e.getKey()));
            }));
            for (JsonNode c : v.get("encode")) {
                String text = c.get("text").asText();
                String pair = c.get("pair").isNull() ? null : c.get("pair").asText();
                boolean special = c.get("addSpecialTokens").asBoolean();
                String what = "encode(" + text + (pair == null ? "" : ", " + pair) + ", " + special + ")";
                tests.add(DynamicTest.dynamicTest(what, () -> assertEncoding(c,
                        pair == null ? t.encode(text, special) : t.encodePair(text, pair, special), what)));
            }
            for (JsonNode c : v.get("encodeBatch")) {
                List<String> texts = new ArrayList<>();
                c.get("texts").forEach(x -> texts.add(x.asText()));
                boolean special = c.get("addSpecialTokens").asBoolean();
                String what = "encodeBatch(" + texts + ", " + special + ")";
                tests.add(DynamicTest.dynamicTest(what, () -> {
                    List<Encoding> rows = t.encodeBatch(texts, special);
                    assertEquals(c.get("rows").size(), rows.size(), what + ": rows");
                    for (int i = 0; i < rows.size(); i++) {
                        assertEncoding(c.get("rows").get(i), rows.get(i), what + " row " + i);
                    }
                }));
            }
            for (JsonNode c : v.get("decode")) {
                int[] ids = ints(c.get("ids"));
                boolean skip = c.get("skipSpecialTokens").asBoolean();
                String what = "decode(" + java.util.Arrays.toString(ids) + ", " + skip + ")";
                tests.add(DynamicTest.dynamicTest(what, () -> assertEquals(c.get("text").asText(), t.decode(ids, skip), what)));
            }
            out.add(DynamicContainer.dynamicContainer(name, tests));
        }
        return out;
    }

    @Test
    void decodeSkipsNegativeIdsToo() {
        HuggingFaceTokenizer t = FixtureTokenizers.MODERNBERT_STYLE;
        assertEquals("Hello world", t.decode(new int[] {-1, 15496, Integer.MIN_VALUE, 995, Integer.MAX_VALUE}, false));
        assertTrue(!t.isSpecial(-1) && !t.isSpecial(999_999));
        assertNull(t.idToToken(-1));
    }

    @Test
    void theFixtureWithoutPaddingIsNeverPadded() {
        HuggingFaceTokenizer t = FixtureTokenizers.MODERNBERT_STYLE;
        assertNull(t.padding());
        List<Encoding> rows = t.encodeBatch(List.of("Hello world", "a"), true);
        assertEquals(4, rows.get(0).length());
        assertEquals(3, rows.get(1).length());
        assertArrayEquals(new int[] {1, 1, 1}, rows.get(1).attentionMask());
    }

    @Test
    void generationPromptsAreNeverPadded() throws IOException {
        HuggingFaceTokenizer t = variant(JSON.readTree("""
                {"padding": {"strategy": {"Fixed": 16}, "direction": "Left", "pad_to_multiple_of": null, "pad_id": 50283,
                 "pad_type_id": 0, "pad_token": "[PAD]"}}"""));
        assertEquals(16, t.encode("Hello world", true).length(), "encode pads to Fixed(16) as HF");
        // transformers pads a prompt only when asked; the generation path never reads the padding section
        assertArrayEquals(new int[] {15496, 995}, t.encodeForGeneration("Hello world"));
    }

    @Test
    void malformedPaddingIsRefusedNamingTheField() throws IOException {
        String[][] cases = {
                {"{\"strategy\": \"Longest\", \"direction\": \"Right\", \"pad_id\": 0, \"pad_type_id\": 0, \"pad_token\": \"x\"}",
                        "tokenizer.json: padding.strategy: expected \"BatchLongest\" or {\"Fixed\": length}"},
                {"{\"strategy\": \"BatchLongest\", \"direction\": \"right\", \"pad_id\": 0, \"pad_type_id\": 0, \"pad_token\": \"x\"}",
                        "tokenizer.json: padding.direction: expected \"Left\" or \"Right\""},
                {"{\"strategy\": \"BatchLongest\", \"direction\": \"Right\", \"pad_id\": -1, \"pad_type_id\": 0, \"pad_token\": \"x\"}",
                        "tokenizer.json: padding.pad_id: expected a non-negative integer, got -1"},
                {"{\"strategy\": \"BatchLongest\", \"direction\": \"Right\", \"pad_id\": 0, \"pad_type_id\": 0}",
                        "tokenizer.json: padding.pad_token: expected a string"},
                {"{\"strategy\": {\"Fixed\": -3}, \"direction\": \"Right\", \"pad_id\": 0, \"pad_type_id\": 0, \"pad_token\": \"x\"}",
                        "tokenizer.json: padding.strategy.Fixed: expected a non-negative integer"},
        };
        for (String[] c : cases) {
            JsonNode patch = JSON.createObjectNode().set("padding", JSON.readTree(c[0]));
            ModernBertException e = assertThrows(ModernBertException.class, () -> variant(patch), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
        }
    }
}
