package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code generate} and {@code classify} read their inputs from standard input when no text is given
 * (or {@code -} is): one input per line, one answer line per input line, in order, each flushed as
 * soon as it is done; {@code --json} gives JSONL. A blank line is the empty text.
 */
class PipedInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KJV = GenerationEndToEndTest.KJV.toString();
    private static final String[] GREEDY = {"--greedy", "--ignore-eos", "--max-new-tokens", "8"};

    @TempDir
    Path dir;

    private static String[] args(String command, String... rest) {
        String[] head = command.equals("generate") ? concat(new String[]{"generate", "--model", KJV}, GREEDY)
                : new String[]{command};
        return concat(head, rest);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** What the command prints for one PROMPT argument, without the final line break. */
    private static String single(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().endsWith("\n"), run.out());
        return run.out().substring(0, run.out().length() - 1);
    }

    @Test
    void generateReadsOnePromptPerLineAndAnswersOneLineEach() {
        CliRun run = CliRun.withStdin("In the beginning\nAnd God said\n", args("generate"));
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(2, lines.size(), run.out());
        assertEquals(InputLines.oneLine(single(args("generate", "In the beginning"))), lines.get(0));
        assertEquals(InputLines.oneLine(single(args("generate", "And God said"))), lines.get(1));
        // "-" is standard input too, and \r\n line ends are line ends.
        CliRun dash = CliRun.withStdin("In the beginning\r\nAnd God said", args("generate", "-"));
        assertEquals(0, dash.exitCode(), dash.err());
        assertEquals(run.out(), dash.out());
        // One stats line for the whole run.
        assertTrue(run.err().lines().anyMatch(l -> l.startsWith("2 prompts: ") && l.contains("finish: 2 length")), run.err());
    }

    @Test
    void generateJsonIsOneCompactObjectPerLineAndABlankLineIsTheEmptyPrompt() throws IOException {
        CliRun run = CliRun.withStdin("In the beginning\n\nAnd God said\n", args("generate", "--json"));
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), run.out());
        String[] prompts = {"In the beginning", "", "And God said"};
        for (int i = 0; i < 3; i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            JsonNode alone = JSON.readTree(single(args("generate", "--json", prompts[i])));
            assertEquals(alone.get("prompt_ids"), line.get("prompt_ids"), prompts[i]);
            assertEquals(alone.get("new_ids"), line.get("new_ids"), prompts[i]);
            assertEquals(alone.get("full_text"), line.get("full_text"), prompts[i]);
        }
        assertEquals(1, JSON.readTree(lines.get(1)).get("prompt_ids").size(), "a blank line is [CLS] alone");
        // Several sequences: one JSON array per line.
        CliRun many = CliRun.withStdin("a\nb\n", "generate", "--model", KJV, "--seed", "1", "--num-return-sequences", "3",
                "--max-new-tokens", "3", "--json");
        assertEquals(0, many.exitCode(), many.err());
        List<String> manyLines = many.out().lines().toList();
        assertEquals(2, manyLines.size(), many.out());
        for (String l : manyLines) {
            JsonNode arr = JSON.readTree(l);
            assertTrue(arr.isArray() && arr.size() == 3, l);
        }
    }

    @Test
    void answersStreamOutAsEachInputIsDone() throws Exception {
        assertStreams(args("generate"), "In the beginning", "And God said");
        Path model = ClassifyCommandTest.classifierWithTokenizer(dir);
        assertStreams(new String[]{"classify", "--model", model.toString(), "--json"}, "a fine day", "rain again");
    }

    /**
     * Feeds {@code first}, waits until its answer line is out while standard input is still open,
     * then feeds {@code second} and closes it.
     */
    private static void assertStreams(String[] args, String first, String second) throws Exception {
        PipedOutputStream feed = new PipedOutputStream();
        InputStream in = new PipedInputStream(feed, 1 << 16);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setIn(in);
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> ModernBertCli.run(args));
            feed.write((first + "\n").getBytes(StandardCharsets.UTF_8));
            feed.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!out.toString(StandardCharsets.UTF_8).contains("\n") && !run.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(run.isDone(), "still reading standard input; stderr: " + err.toString(StandardCharsets.UTF_8));
            assertEquals(1, out.toString(StandardCharsets.UTF_8).lines().count(), "the first answer is out before the second input");
            feed.write((second + "\n").getBytes(StandardCharsets.UTF_8));
            feed.close();
            assertEquals(0, run.get(120, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
            assertEquals(2, out.toString(StandardCharsets.UTF_8).lines().count(), out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void classifyReadsOneTextPerLine() throws IOException {
        Path model = ClassifyCommandTest.classifierWithTokenizer(dir);
        JsonNode batch = JSON.readTree(single("classify", "--model", model.toString(), "--json", "a fine day", "", "rain again"));
        CliRun json = CliRun.withStdin("a fine day\n\nrain again\n", "classify", "--model", model.toString(), "--json");
        assertEquals(0, json.exitCode(), json.err());
        List<String> lines = json.out().lines().toList();
        assertEquals(3, lines.size(), json.out());
        for (int i = 0; i < 3; i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            for (int k = 0; k < 3; k++) {
                assertEquals(batch.get(i).get(k).get("label"), line.get(k).get("label"));
                assertEquals(batch.get(i).get(k).get("score").asDouble(), line.get(k).get("score").asDouble(), 1e-5);
            }
        }
        CliRun text = CliRun.withStdin("a fine day\nrain again\n", "classify", "--model", model.toString(), "--top-k", "2", "-");
        assertEquals(0, text.exitCode(), text.err());
        List<String> textLines = text.out().lines().toList();
        assertEquals(2, textLines.size(), text.out());
        for (int i = 0; i < 2; i++) {
            String[] fields = textLines.get(i).split("\t");
            assertEquals(4, fields.length, textLines.get(i));
            assertEquals(batch.get(i == 0 ? 0 : 2).get(0).get("label").asText(), fields[0]);
        }
        CliRun mixed = CliRun.of("classify", "--model", model.toString(), "x", "-");
        assertEquals(1, mixed.exitCode());
        assertTrue(mixed.err().startsWith("error: ") && mixed.err().contains("standard input"), mixed.err());
    }

    @Test
    void emptyStandardInputPrintsNothingAndSaysSo() {
        CliRun run = CliRun.of(args("generate"));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.out());
        assertTrue(run.err().contains("standard input had no lines"), run.err());
    }

    @Test
    void aTerminalWithNothingPipedInGetsAHintFirst() {
        BooleanSupplier before = InputLines.interactive;
        InputLines.interactive = () -> true;
        try {
            CliRun run = CliRun.of(args("generate"));
            assertEquals(0, run.exitCode(), run.err());
            assertTrue(run.err().lines().findFirst().orElse("").startsWith("reading prompts from standard input"), run.err());
            assertTrue(run.err().contains("Ctrl-D"), run.err());
        } finally {
            InputLines.interactive = before;
        }
        CliRun piped = CliRun.withStdin("In\n", args("generate"));
        assertFalse(piped.err().contains("Ctrl-D"), "no hint when the input is piped: " + piped.err());
    }

    @Test
    void aBadLineStopsWithItsLineNumberAfterTheEarlierAnswers() {
        String tooLong = "and the earth ".repeat(600);
        CliRun run = CliRun.withStdin("In the beginning\n" + tooLong + "\nnever read\n", args("generate"));
        assertEquals(1, run.exitCode());
        assertEquals(1, run.out().lines().count(), run.out());
        String error = errorLine(run);
        assertTrue(error.startsWith("error: standard input line 2: ") && error.contains("max_position_embeddings"), run.err());
        byte[] bad = {'I', 'n', '\n', (byte) 0xff, 'x', '\n'};
        CliRun notUtf8 = CliRun.withStdin(bad, args("generate"));
        assertEquals(1, notUtf8.exitCode());
        assertTrue(errorLine(notUtf8).startsWith("error: standard input line 2 is not valid UTF-8"), notUtf8.err());
    }

    /** The one error line on stderr (the model-load log line may be there too). */
    static String errorLine(CliRun run) {
        List<String> errors = run.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
        return errors.getFirst();
    }
}
