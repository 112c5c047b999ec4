package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.conformance.ReferenceFixtures;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code modernbert tokenize} reproduces every line of the HF reference cases.jsonl. */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void reproducesReferenceCases(@TempDir Path tmp) throws Exception {
        Path dir = ReferenceFixtures.tokenizerDir();
        List<String> cases = Files.readAllLines(dir.resolve("cases.jsonl")).stream().filter(l -> !l.isBlank()).toList();
        List<String> inputs = new ArrayList<>();
        for (String c : cases) {
            inputs.add(JSON.writeValueAsString(JSON.createObjectNode().put("text", JSON.readTree(c).get("text").asText())));
        }
        Path in = tmp.resolve("in.jsonl");
        Path out = tmp.resolve("out.jsonl");
        Files.write(in, inputs);
        assertEquals(0, ModernBertCli.run("tokenize", "--model", dir.toString(), "--input", in.toString(), "--output", out.toString()));
        List<String> results = Files.readAllLines(out);
        assertEquals(cases.size(), results.size());
        for (int i = 0; i < cases.size(); i++) {
            JsonNode expected = JSON.readTree(cases.get(i));
            JsonNode actual = JSON.readTree(results.get(i));
            for (String field : List.of("ids_with_special", "ids_without_special", "decoded", "decoded_skip_special")) {
                assertEquals(expected.get(field), actual.get(field), "case " + i + " " + field);
            }
        }
    }

    @Test
    void badInputGivesOneErrorLineAndNoOutputFile(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("in.jsonl");
        Path out = tmp.resolve("out.jsonl");
        Files.writeString(in, "{\"text\": \"ok\"}\n{\"txt\": 3}\n");
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = ModernBertCli.run("tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(),
                    "--input", in.toString(), "--output", out.toString());
        } finally {
            System.setErr(oldErr);
        }
        assertEquals(1, code);
        String message = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.startsWith("error: ") && message.contains("line 2"), message);
        assertFalse(Files.exists(out));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
        assertEquals(1, ModernBertCli.run("tokenize", "--model", tmp.resolve("nowhere").toString(),
                "--input", in.toString(), "--output", out.toString()));
    }

    @Test
    void inputThatIsNotUtf8IsNamedInOneLine(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("in.jsonl");
        Path out = tmp.resolve("out.jsonl");
        Files.write(in, new byte[]{(byte) 0xff, (byte) 0xfe, '{', '}', '\n'});
        CliRun run = CliRun.of("tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(),
                "--input", in.toString(), "--output", out.toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: " + in + " is not valid UTF-8 text: JSON lines files must be UTF-8", run.err().strip());
        assertFalse(Files.exists(out));
    }
}
