package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.ScoreFunction;
import org.modernbert.core.pipeline.TextClassificationPipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The classify command on the tiny-mbd-cls fixture. The fixture has no tokenizer, so the test gives
 * it a byte-level BPE tokenizer without merges whose ids fit the 512-token vocabulary (bytes are
 * 4..259, [UNK] 0, [PAD] 1, [CLS] 2, [SEP] 3 as in the fixture's config).
 */
class ClassifyCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** GPT-2's bytes_to_unicode: the printable symbol of each byte in byte-level BPE vocabularies. */
    private static String byteSymbol(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
            return Character.toString(b);
        }
        int n = 0;
        for (int x = 0; x < b; x++) {
            if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) {
                n++;
            }
        }
        return Character.toString(256 + n);
    }

    private Path modelWithTokenizer() throws IOException {
        return classifierWithTokenizer(dir);
    }

    /** The tiny-mbd-cls fixture copied into {@code dir} with the byte-level tokenizer described above. */
    static Path classifierWithTokenizer(Path dir) throws IOException {
        Path src = ReferenceFixtures.modelDir(ReferenceFixtures.CLASSIFIER_MODEL);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        ObjectNode tok = JSON.createObjectNode();
        tok.put("version", "1.0");
        ArrayNode added = tok.putArray("added_tokens");
        String[] specials = {"[UNK]", "[PAD]", "[CLS]", "[SEP]"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        tok.putNull("normalizer");
        tok.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", true);
        tok.putNull("post_processor");
        tok.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = tok.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < specials.length; i++) {
            vocab.put(specials[i], i);
        }
        for (int b = 0; b < 256; b++) {
            vocab.put(byteSymbol(b), 4 + b);
        }
        model.putArray("merges");
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"[CLS]\", \"eos_token\": \"[SEP]\", \"pad_token\": \"[PAD]\", \"unk_token\": \"[UNK]\"}");
        return dir;
    }

    @Test
    void printsLabelsAndScoresOfEachText() throws IOException {
        Path model = modelWithTokenizer();
        List<String> texts = List.of("a fine day", "rain again");
        List<List<LabelScore>> expected;
        try (TextClassificationPipeline pipe = TextClassificationPipeline.open(model, "cpu")) {
            // [CLS] then one id per byte: the ids fit the fixture's vocabulary.
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[]{2, 4 + 'a', 4 + ' ', 4 + 'f'},
                    pipe.tokenizer().encodeForGeneration("a f"));
            expected = pipe.classify(texts, null, ScoreFunction.SOFTMAX);
        }
        CliRun run = CliRun.of("classify", "--model", model.toString(), "--backend", "cpu", "--json", texts.get(0), texts.get(1));
        assertEquals(0, run.exitCode(), run.err());
        JsonNode out = JSON.readTree(run.out());
        assertEquals(2, out.size());
        for (int t = 0; t < 2; t++) {
            assertEquals(3, out.get(t).size());
            double sum = 0;
            for (int k = 0; k < 3; k++) {
                assertEquals(expected.get(t).get(k).label(), out.get(t).get(k).get("label").asText());
                assertEquals(expected.get(t).get(k).score(), out.get(t).get(k).get("score").asDouble(), 1e-6);
                sum += out.get(t).get(k).get("score").asDouble();
            }
            assertEquals(1.0, sum, 1e-9, "softmax scores sum to one");
        }
        CliRun top = CliRun.of("classify", "--model", model.toString(), "--top-k", "1", texts.get(0));
        assertEquals(0, top.exitCode(), top.err());
        assertTrue(top.out().contains(expected.getFirst().getFirst().label()), top.out());
        assertEquals(2, top.out().strip().lines().count(), top.out());
    }

    @Test
    void functionFlagChoosesTheScoresAndBadValuesAreOneLineErrors() throws IOException {
        Path model = modelWithTokenizer();
        CliRun none = CliRun.of("classify", "--model", model.toString(), "--function", "none", "--json", "a fine day");
        CliRun sigmoid = CliRun.of("classify", "--model", model.toString(), "--function", "sigmoid", "--json", "a fine day");
        assertEquals(0, none.exitCode(), none.err());
        assertEquals(0, sigmoid.exitCode(), sigmoid.err());
        JsonNode raw = JSON.readTree(none.out()).get(0);
        JsonNode sig = JSON.readTree(sigmoid.out()).get(0);
        assertEquals(3, raw.size());
        // Sigmoid is monotone: same label order, each score the sigmoid of the raw logit.
        for (int k = 0; k < 3; k++) {
            assertEquals(raw.get(k).get("label").asText(), sig.get(k).get("label").asText());
            double logit = raw.get(k).get("score").asDouble();
            assertEquals(1 / (1 + Math.exp(-logit)), sig.get(k).get("score").asDouble(), 1e-6);
        }
        CliRun bad = CliRun.of("classify", "--model", model.toString(), "--function", "tanh", "x");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().startsWith("error: ") && bad.err().contains("function_to_apply"), bad.err());
        CliRun zero = CliRun.of("classify", "--model", model.toString(), "--top-k", "0", "x");
        assertEquals(1, zero.exitCode());
        assertTrue(zero.err().startsWith("error: ") && zero.err().contains("--top-k"), zero.err());
    }

    @Test
    void missingTokenizerIsAOneLineError() {
        CliRun run = CliRun.of("classify", "--model", ReferenceFixtures.modelDir(ReferenceFixtures.CLASSIFIER_MODEL).toString(), "hi");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().startsWith("error: ") && run.err().contains("tokenizer.json"), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }
}
