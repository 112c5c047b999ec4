package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.conformance.Tolerance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void causalLmOutputsMatchTheReferenceInTheGoldenLayout() throws IOException {
        for (String fixture : ReferenceFixtures.CAUSAL_LM_MODELS) {
            JsonNode c = ReferenceFixtures.golden(fixture).get("forward").get(1); // the ragged 3-row case
            ObjectNode in = JSON.createObjectNode();
            in.set("input_ids", c.get("input_ids"));
            in.set("labels", c.get("labels"));
            Path input = dir.resolve("in.json");
            Path output = dir.resolve(fixture + ".json");
            JSON.writeValue(input.toFile(), in);

            CliRun run = CliRun.of("forward", "--model", ReferenceFixtures.modelDir(fixture).toString(),
                    "--input", input.toString(), "--output", output.toString(), "--backend", "cpu");
            assertEquals(0, run.exitCode(), run.err());

            JsonNode out = JSON.readTree(output.toFile());
            for (int r = 0; r < c.get("input_ids").size(); r++) {
                Tolerance.ACTIVATIONS.assertClose(fixture + " cli logits row " + r, c.get("logits").get(r),
                        floats(out.get("logits").get(r)));
                Tolerance.ACTIVATIONS.assertClose(fixture + " cli hidden row " + r, c.get("last_hidden_state").get(r),
                        floats(out.get("last_hidden_state").get(r)));
                JsonNode loss = c.get("loss_per_sequence").get(r);
                if (loss.isNull()) {
                    assertTrue(out.get("loss_per_sequence").get(r).isNull());
                } else {
                    Tolerance.LOSS.assertClose(fixture + " cli loss row " + r, loss.asDouble(),
                            out.get("loss_per_sequence").get(r).asDouble());
                }
            }
        }
    }

    @Test
    void classifierOutputsPooledLogits() throws IOException {
        JsonNode golden = ReferenceFixtures.golden(ReferenceFixtures.CLASSIFIER_MODEL).get("forward").get(0);
        ObjectNode in = JSON.createObjectNode();
        in.set("input_ids", golden.get("input_ids"));
        Path input = dir.resolve("in.json");
        Path output = dir.resolve("out.json");
        JSON.writeValue(input.toFile(), in);
        CliRun run = CliRun.of("forward", "--model", ReferenceFixtures.modelDir(ReferenceFixtures.CLASSIFIER_MODEL).toString(),
                "--input", input.toString(), "--output", output.toString());
        assertEquals(0, run.exitCode(), run.err());
        Tolerance.ACTIVATIONS.assertClose("cli pooled logits", golden.get("logits"), floats(JSON.readTree(output.toFile()).get("logits")));
    }

    @Test
    void badInputIsOneLineOnStderrAndLeavesNoOutputFile() throws IOException {
        Path output = dir.resolve("out.json");
        Path input = dir.resolve("in.json");
        String model = ReferenceFixtures.modelDir("tiny-mbd").toString();

        Files.writeString(input, "{\"input_ids\": [[1, 2, 99999]]}");
        CliRun run = CliRun.of("forward", "--model", model, "--input", input.toString(), "--output", output.toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: token id 99999 at row 0, position 2 is outside the vocabulary [0, 512)", run.err().strip());
        assertFalse(Files.exists(output));

        Files.writeString(input, "{\"input_ids\": [[1, \"two\"]]}");
        run = CliRun.of("forward", "--model", model, "--input", input.toString(), "--output", output.toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("\"input_ids\"[0][1] is \"two\", expected an integer"), run.err());

        Files.writeString(input, "[1, 2");
        run = CliRun.of("forward", "--model", model, "--input", input.toString(), "--output", output.toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: " + input + ": line 1, column 6: not valid JSON: it ends before the list is closed", run.err().strip());

        Files.writeString(input, "{\"input_ids\": [[1, 2]]}");
        run = CliRun.of("forward", "--model", model, "--input", input.toString(), "--output", output.toString(), "--backend", "tpu");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("unknown backend 'tpu'") && run.err().contains("cpu (priority 100, available)")
                && run.err().contains("tornado (priority 90, unavailable"), run.err());
        assertFalse(Files.exists(output));
    }

    @Test
    void malformedJsonIsOneLineWithLineAndColumnAndNoJacksonInternals() throws IOException {
        Path output = dir.resolve("out.json");
        Path input = dir.resolve("in.json");
        String model = ReferenceFixtures.modelDir("tiny-mbd").toString();
        String[][] cases = {
                {"{\"input_ids\": [[1, 2]]} {\"input_ids\": [[3]]}", "line 1, column 25: not valid JSON: more after the JSON value: give one value per file"},
                {"{\"input_ids\": [[1, 2]]}\n]", "line 2, column 1: not valid JSON: more after the JSON value: give one value per file"},
                {"{\"input_ids\": [[1, 2]],\n \"input_ids\": [[3]]}", "line 2, column 13: not valid JSON: the key \"input_ids\" appears twice in one object"},
                {"{\"input_ids\": [[1]], \"past_key_values\": {\"input_ids\": [[1]], \"input_ids\": [[2]]}}",
                        "line 1, column 73: not valid JSON: the key \"input_ids\" appears twice in one object"},
                {"{\"input_ids\": [[1, 2]]", "line 1, column 23: not valid JSON: it ends before the object is closed"},
                {"{\"input_ids\": [[1, NaN]]}", "line 1, column 23: not valid JSON: non-standard token 'NaN'"},
        };
        for (String[] c : cases) {
            Files.writeString(input, c[0]);
            CliRun run = CliRun.of("forward", "--model", model, "--input", input.toString(), "--output", output.toString());
            assertEquals(1, run.exitCode(), c[0]);
            assertEquals("error: " + input + ": " + c[1], run.err().strip(), c[0]);
            assertFalse(Files.exists(output));
        }
    }

    @Test
    void unusableOutputPathIsOneClearLineBeforeAnyWork() throws IOException {
        Path input = dir.resolve("in.json");
        Files.writeString(input, "{\"input_ids\": [[1, 2]]}");
        String model = ReferenceFixtures.modelDir("tiny-mbd").toString();
        Path missing = dir.resolve("no-such-folder").resolve("out.json");
        CliRun run = CliRun.of("forward", "--model", model, "--input", input.toString(), "--output", missing.toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: output " + missing + ": folder " + missing.getParent() + " does not exist", run.err().strip());

        run = CliRun.of("forward", "--model", model, "--input", input.toString(), "--output", dir.toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: output " + dir + " is a directory: give a file name", run.err().strip());
    }

    @Test
    void outputFileGetsTheUsualPermissionsNotOwnerOnly() throws IOException {
        Path input = dir.resolve("in.json");
        Files.writeString(input, "{\"input_ids\": [[1, 2]]}");
        Path output = dir.resolve("out.json");
        assertEquals(0, CliRun.of("forward", "--model", ReferenceFixtures.modelDir("tiny-mbd").toString(),
                "--input", input.toString(), "--output", output.toString()).exitCode());
        Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(output));
        }
    }

    @Test
    void usageMistakesAreOneLineWithAPointerToHelp() {
        CliRun run = CliRun.of("forward", "--model", "m", "--input", "in.json");
        assertEquals(1, run.exitCode());
        assertEquals("error: Missing required option: '--output=<output>' (see 'modernbert forward --help')", run.err().strip());
        run = CliRun.of("generate", "--max-new-tokens", "abc", "x");
        assertEquals(1, run.exitCode());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("error: Invalid value for option '--max-new-tokens'"), run.err());
        run = CliRun.of("frobnicate");
        assertEquals(1, run.exitCode());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    @Test
    void backendsListsEveryProviderWithItsStatus() {
        CliRun run = CliRun.of("backends");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("cpu") && l.contains("100") && l.contains("available") && l.endsWith("(default)")), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("tornado") && l.contains("90") && l.contains("unavailable: TornadoVM")), run.out());
    }

    private static float[] floats(JsonNode matrix) {
        double[] values = flatten(matrix);
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    private static double[] flatten(JsonNode node) {
        java.util.List<Double> values = new java.util.ArrayList<>();
        for (JsonNode row : node) {
            if (row.isArray()) {
                row.forEach(v -> values.add(v.asDouble()));
            } else {
                values.add(row.asDouble());
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
