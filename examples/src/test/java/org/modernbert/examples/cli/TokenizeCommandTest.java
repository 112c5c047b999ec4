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

    @Test
    void malformedLinesAreOneLineWithFileLineAndColumn(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("in.jsonl");
        Path out = tmp.resolve("out.jsonl");
        String[][] cases = {
                {"{\"text\": \"a\"}\n{\"text\": \"b\"}{\"text\": \"c\"}\n", "line 2, column 14: not valid JSON: more after the JSON object: give one object per line"},
                {"{\"text\": \"a\"} x\n", "line 1, column 15: not valid JSON: more after the JSON object: give one object per line"},
                {"{\"text\": \"a\"}\n{\"text\": \"a\", \"text\": \"b\"}\n", "line 2, column 21: not valid JSON: the key \"text\" appears twice in one object"},
                {"{\"text\": \"a\"\n", "line 1, column 13: not valid JSON: it ends before the object is closed"},
                {"{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n",
                        "line 2: blank line: each line must be one {\"text\": ...} object, so that output line N answers input line N"},
                {"{\"text\": \"a\"}\n   \n", "line 2: blank line: each line must be one {\"text\": ...} object, so that output line N answers input line N"},
        };
        for (String[] c : cases) {
            Files.writeString(in, c[0]);
            CliRun run = CliRun.of("tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(),
                    "--input", in.toString(), "--output", out.toString());
            assertEquals(1, run.exitCode(), c[0]);
            assertEquals("error: " + in + ": " + c[1], run.err().strip(), c[0]);
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void outputLineNAnswersInputLineN(@TempDir Path tmp) throws Exception {
        List<String> texts = List.of("In the beginning", "", " ", "God");
        Path in = tmp.resolve("in.jsonl");
        List<String> lines = new ArrayList<>();
        for (String t : texts) {
            lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("text", t)));
        }
        Files.writeString(in, "\uFEFF" + String.join("\r\n", lines) + "\r\n"); // a BOM and CRLF as a Windows editor saves
        CliRun run = CliRun.of("tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(),
                "--input", in.toString(), "--output", "-");
        assertEquals(0, run.exitCode(), run.err());
        List<String> results = run.out().lines().toList();
        assertEquals(texts.size(), results.size());
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(texts.get(i), JSON.readTree(results.get(i)).get("decoded_skip_special").asText(), "line " + (i + 1));
        }
    }
}
