package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.backend.BackendRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Messages and noise: one error line naming what is missing, one model-load log line, a backends
 * list that marks the backend actually chosen, a short stats line, a README synopsis with every flag.
 */
class CliMessagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KJV = GenerationEndToEndTest.KJV.toString();

    @TempDir
    Path dir;

    @Test
    void anEmptyModelFolderNamesTheMissingFiles() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        for (String[] args : List.of(new String[]{"generate", "--model", empty.toString(), "hi"},
                new String[]{"generate", "--model", empty.toString(), "--prompt-ids", "1,2"},
                new String[]{"classify", "--model", empty.toString(), "hi"})) {
            CliRun run = CliRun.of(args);
            assertEquals(1, run.exitCode(), String.join(" ", args));
            String error = PipedInputTest.errorLine(run);
            assertTrue(error.contains(empty.toString()) && error.contains("config.json")
                    && error.contains("model.safetensors") && error.contains("model.safetensors.index.json"), error);
            assertFalse(error.contains("--prompt-ids"), "no advice about prompt ids for a folder without a model: " + error);
            // The tokenizer counts as missing only where the command needs it.
            assertEquals(!args[3].equals("--prompt-ids"), error.contains("tokenizer.json"), error);
        }
        // A real model without a tokenizer: then (and only then) the advice fits.
        CliRun noTokenizer = CliRun.of("generate", "--model", ReferenceFixtures.modelDir("tiny-mbd").toString(), "hi");
        assertEquals(1, noTokenizer.exitCode());
        String error = PipedInputTest.errorLine(noTokenizer);
        assertTrue(error.contains("has no tokenizer.json") && error.contains("--prompt-ids") && !error.contains("config.json"), error);
    }

    @Test
    void theModelLoadIsLoggedOnce() throws IOException {
        Path classifier = ClassifyCommandTest.classifierWithTokenizer(dir);
        List<String> generate = infoLines(() -> CliRun.of("generate", "--model", KJV, "--max-new-tokens", "2", "In"));
        assertEquals(1, generate.stream().filter(l -> l.contains("kjv-mbd-4m")).count(), generate.toString());
        List<String> classify = infoLines(() -> CliRun.of("classify", "--model", classifier.toString(), "hi"));
        assertEquals(1, classify.stream().filter(l -> l.contains(classifier.toString())).count(), classify.toString());
    }

    /** The INFO (and more severe) log messages while {@code run} runs; asserts that it succeeded. */
    private static List<String> infoLines(Supplier<CliRun> run) {
        List<String> messages = Collections.synchronizedList(new ArrayList<>());
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        AbstractAppender capture = new AbstractAppender("capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                messages.add(event.getMessage().getFormattedMessage());
            }
        };
        capture.start();
        LoggerConfig root = ctx.getConfiguration().getRootLogger();
        LoggerConfig ours = ctx.getConfiguration().getLoggerConfig("org.modernbert");
        Level before = ours.getLevel();
        ours.setLevel(Level.INFO);
        root.addAppender(capture, Level.INFO, null);
        if (ours != root) {
            ours.addAppender(capture, Level.INFO, null);
            ours.setAdditive(false);
        }
        ctx.updateLoggers();
        try {
            CliRun r = run.get();
            assertEquals(0, r.exitCode(), r.err());
        } finally {
            root.removeAppender(capture.getName());
            if (ours != root) {
                ours.removeAppender(capture.getName());
                ours.setAdditive(true);
            }
            ours.setLevel(before);
            ctx.updateLoggers();
            capture.stop();
        }
        return List.copyOf(messages);
    }

    @Test
    void backendsMarksTheBackendThePropertySelects() {
        String before = System.getProperty(BackendRegistry.PROPERTY);
        try {
            System.setProperty(BackendRegistry.PROPERTY, "cpu");
            CliRun cpu = CliRun.of("backends");
            assertEquals(0, cpu.exitCode(), cpu.err());
            assertTrue(cpu.out().lines().anyMatch(l -> l.startsWith("cpu") && l.endsWith("(selected by -Dmodernbert.backend=cpu)")),
                    cpu.out());
            System.setProperty(BackendRegistry.PROPERTY, "tornado");
            CliRun tornado = CliRun.of("backends");
            assertEquals(0, tornado.exitCode(), tornado.err());
            assertFalse(tornado.out().contains("(default)"), "cpu is not what a command would get: " + tornado.out());
            assertTrue(tornado.out().lines().anyMatch(l -> l.startsWith("no backend would be used (-Dmodernbert.backend=tornado): ")
                    && l.contains("'tornado' is not available")), tornado.out());
        } finally {
            if (before == null) {
                System.clearProperty(BackendRegistry.PROPERTY);
            } else {
                System.setProperty(BackendRegistry.PROPERTY, before);
            }
        }
    }

    @Test
    void theStatsLineGivesTimeToFirstTokenAndStaysShortWithManySequences() throws IOException {
        CliRun run = CliRun.of("generate", "--model", KJV, "--sample", "--seed", "1", "--ignore-eos", "--num-return-sequences", "300",
                "--max-new-tokens", "2", "--prompt-ids", "4091,1141,258,2245");
        assertEquals(0, run.exitCode(), run.err());
        List<String> stats = run.err().lines().filter(l -> l.startsWith("prompt: ")).toList();
        assertEquals(1, stats.size(), run.err());
        String line = stats.getFirst();
        assertTrue(line.matches("prompt: 4 tokens, time to first token \\d+ ms; generated: 600 tokens, [0-9.]+ tokens/s; finish: 300 length"),
                line);
        CliRun json = CliRun.of("generate", "--model", KJV, "--greedy", "--max-new-tokens", "3", "--json", "In the beginning");
        assertEquals(0, json.exitCode(), json.err());
        JsonNode out = JSON.readTree(json.out());
        assertTrue(out.get("time_to_first_token_ms").isNumber() && out.get("time_to_first_token_ms").asDouble() > 0, json.out());
    }

    @Test
    void readmeSynopsisListsEveryFlag() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        for (Object command : List.of(new GenerateCommand(), new ClassifyCommand(), new InitRandomCommand(), new ServeCommand(),
                new BenchCommand(), new BenchServeCommand())) {
            CommandLine cli = new CommandLine(command);
            String name = cli.getCommandName();
            int start = readme.indexOf("./modernbert " + name + " ", readme.indexOf("## Command line"));
            assertTrue(start >= 0, "README has a synopsis of " + name);
            int end = readme.indexOf("\n./modernbert ", start + 1);
            String synopsis = readme.substring(start, end < 0 ? readme.indexOf("```", start) : end);
            for (OptionSpec o : cli.getCommandSpec().options()) {
                if (!o.usageHelp() && !o.versionHelp()) {
                    assertTrue(synopsis.contains(o.longestName()), name + " synopsis lacks " + o.longestName() + ":\n" + synopsis);
                }
            }
        }
    }
}
