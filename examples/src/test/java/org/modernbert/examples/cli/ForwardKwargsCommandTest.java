package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.conformance.Tolerance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of the fixtures' golden-kwargs.json (transformers' other forward() arguments) through
 * {@code modernbert forward}, compared at the fixtures' tolerance, in transformers' nesting.
 */
class ForwardKwargsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode GOLDEN = ReferenceFixtures.goldenKwargs();

    @TempDir
    Path dir;

    private JsonNode forward(ObjectNode in) throws IOException {
        Path input = dir.resolve("in.json");
        Path output = dir.resolve("out.json");
        JSON.writeValue(input.toFile(), in);
        CliRun run = CliRun.of("forward", "--model", ReferenceFixtures.modelDir("tiny-mbd").toString(),
                "--input", input.toString(), "--output", output.toString(), "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.err());
        return JSON.readTree(output.toFile());
    }

    @Test
    void paddedBatchWithAttentionMaskLeftAndRightPadding() throws IOException {
        JsonNode c = GOLDEN.get("padded");
        ObjectNode in = JSON.createObjectNode();
        in.set("input_ids", c.get("input_ids"));
        in.set("attention_mask", c.get("attention_mask"));
        JsonNode out = forward(in);
        assertEquals(3, out.get("logits").size());
        for (int r = 0; r < 3; r++) {
            JsonNode rowExpected = c.get("logits").get(r);
            JsonNode rowActual = out.get("logits").get(r);
            assertEquals(14, rowActual.size(), "every position of a padded row, pads included");
            int checked = 0;
            for (int t = 0; t < 14; t++) {
                if (rowExpected.get(t).isNull()) {
                    continue; // a pad position: unspecified
                }
                Tolerance.ACTIVATIONS.assertClose("padded row " + r + " position " + t, rowExpected.get(t),
                        floats(rowActual.get(t)));
                checked++;
            }
            assertTrue(checked >= 10, "row " + r + " has real tokens");
        }
    }

    @Test
    void explicitUnevenPositionIds() throws IOException {
        JsonNode c = GOLDEN.get("position_ids");
        ObjectNode in = JSON.createObjectNode();
        in.set("input_ids", c.get("input_ids"));
        in.set("position_ids", c.get("position_ids"));
        Tolerance.ACTIVATIONS.assertClose("position_ids logits", c.get("logits").get(0), floats(forward(in).get("logits").get(0)));
    }

    @Test
    void inputsEmbedsInsteadOfIds() throws IOException {
        JsonNode c = GOLDEN.get("inputs_embeds");
        ObjectNode in = JSON.createObjectNode();
        in.set("inputs_embeds", c.get("inputs_embeds"));
        Tolerance.ACTIVATIONS.assertClose("inputs_embeds logits", c.get("logits").get(0), floats(forward(in).get("logits").get(0)));
    }

    @Test
    void hiddenStatesAndAttentionsNestedAsTransformersTensors() throws IOException {
        JsonNode c = GOLDEN.get("outputs");
        ObjectNode in = JSON.createObjectNode();
        in.set("input_ids", c.get("input_ids"));
        in.put("output_hidden_states", true);
        in.put("output_attentions", true);
        JsonNode out = forward(in);
        Tolerance.ACTIVATIONS.assertClose("outputs logits", c.get("logits").get(0), floats(out.get("logits").get(0)));
        // the fixture holds one row without the batch axis; ours is [layer][row][...]
        assertEquals(7, out.get("hidden_states").size());
        for (int l = 0; l < 7; l++) {
            Tolerance.ACTIVATIONS.assertClose("hidden_states[" + l + "]", c.get("hidden_states").get(l),
                    floats(out.get("hidden_states").get(l).get(0)));
        }
        assertEquals(6, out.get("attentions").size());
        for (int l = 0; l < 6; l++) {
            JsonNode heads = out.get("attentions").get(l).get(0);
            assertEquals(4, heads.size());
            for (int h = 0; h < 4; h++) {
                Tolerance.ACTIVATIONS.assertClose("attentions[" + l + "][0][" + h + "]", c.get("attentions").get(l).get(h),
                        floats(heads.get(h)));
            }
        }
    }

    @Test
    void pastKeyValuesContinueACachedPrefix() throws IOException {
        JsonNode c = GOLDEN.get("continuation");
        ObjectNode in = JSON.createObjectNode();
        in.set("input_ids", c.get("next_ids"));
        ObjectNode past = JSON.createObjectNode();
        past.set("input_ids", c.get("prefix_ids"));
        in.set("past_key_values", past);
        in.put("output_attentions", true);
        JsonNode out = forward(in);
        Tolerance.ACTIVATIONS.assertClose("continuation logits", c.get("next_logits").get(0), floats(out.get("logits").get(0)));
        int prefix = c.get("prefix_ids").get(0).size();
        int next = c.get("next_ids").get(0).size();
        JsonNode firstLayer = out.get("attentions").get(0).get(0).get(0);
        assertEquals(next, firstLayer.size(), "queries: the new tokens");
        assertEquals(prefix + next, firstLayer.get(0).size(), "keys: past and new, as transformers' kv length");
    }

    @Test
    void aMaskThatIsNotOneRunIsRefusedInOneLine() throws IOException {
        Path input = dir.resolve("bad.json");
        Files.writeString(input, "{\"input_ids\": [[5, 6, 7, 8]], \"attention_mask\": [[1, 0, 1, 1]]}");
        CliRun run = CliRun.of("forward", "--model", ReferenceFixtures.modelDir("tiny-mbd").toString(),
                "--input", input.toString(), "--output", dir.resolve("o.json").toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: attention_mask row 0 has ones at positions 0..0 and again at 2: each row needs one contiguous"
                + " run of ones (left or right padding)", run.err().strip());
        Files.writeString(input, "{\"input_ids\": [[5, 6]], \"attention_mask\": [[1, 2]]}");
        run = CliRun.of("forward", "--model", ReferenceFixtures.modelDir("tiny-mbd").toString(),
                "--input", input.toString(), "--output", dir.resolve("o.json").toString());
        assertEquals("error: attention_mask row 0, position 1 is 2: expected 0 or 1", run.err().strip());
        Files.writeString(input, "{\"input_ids\": [[5, 6]], \"position_id\": [[0, 1]]}");
        run = CliRun.of("forward", "--model", ReferenceFixtures.modelDir("tiny-mbd").toString(),
                "--input", input.toString(), "--output", dir.resolve("o.json").toString());
        assertTrue(run.err().strip().startsWith("error: " + input + ": unknown field \"position_id\""), run.err());
    }

    /** A [rows][cols] (or flat) JSON array as row-major floats. */
    static float[] floats(JsonNode node) {
        int n = 0;
        for (JsonNode row : node) {
            n += row.isArray() ? row.size() : 1;
        }
        float[] out = new float[n];
        int i = 0;
        for (JsonNode row : node) {
            if (row.isArray()) {
                for (JsonNode v : (ArrayNode) row) {
                    out[i++] = v.floatValue();
                }
            } else {
                out[i++] = row.floatValue();
            }
        }
        return out;
    }
}
