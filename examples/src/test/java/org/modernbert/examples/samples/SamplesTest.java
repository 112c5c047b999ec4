package org.modernbert.examples.samples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sample programs (quoted in README.md) run against the bundled model and print what they promise. */
class SamplesTest {
    private static final Path BUNDLED = Path.of("models/kjv-mbd-4m").toAbsolutePath();

    @Test
    void logitsExamplePrintsTheGreedyTokensLogit() {
        String out = run(() -> LogitsExample.main(new String[]{BUNDLED.toString()}));
        assertTrue(out.matches("next-token logit of id 268: -?\\d+\\.\\d+(E-?\\d+)?\\R"), out);
    }

    @Test
    void generateExamplePrintsTextForBothPrompts() {
        assertTrue(Files.isDirectory(BUNDLED), "bundled model at " + BUNDLED);
        String out = run(() -> GenerateExample.main(new String[]{BUNDLED.toString()}));
        String[] lines = out.strip().split("\\R");
        assertTrue(lines.length >= 2 && lines[0].startsWith("In the beginning") && lines[0].length() > "In the beginning".length()
                && lines[lines.length - 1].length() > 10, out);
    }

    private static synchronized String run(Runnable program) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            program.run();
        } finally {
            System.setOut(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
