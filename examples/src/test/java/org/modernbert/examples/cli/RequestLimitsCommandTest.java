package org.modernbert.examples.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests too large for the Java heap are refused before anything is allocated, in one line with
 * the estimate and the limit, instead of an OutOfMemoryError stack trace (issue 9, item 5).
 */
class RequestLimitsCommandTest {
    private static final String KJV = "models/kjv-mbd-4m";

    @Test
    void twoHundredThousandReturnSequencesAreRefusedInOneLineWithTheEstimate() {
        CliRun run = CliRun.of("generate", "--model", KJV, "In the beginning", "--sample",
                "--num-return-sequences", "200000", "--max-new-tokens", "50");
        assertEquals(1, run.exitCode(), run.err());
        assertEquals("", run.out());
        String[] errorLines = run.err().lines().filter(l -> !l.startsWith("[INFO]") && !l.startsWith("WARNING:"))
                .toArray(String[]::new);
        assertEquals(1, errorLines.length, "one line: " + run.err());
        String line = errorLines[0];
        // 200000 x (KV cache of 4 + 50 positions, two vocabularies of floats, ids): far beyond any test heap
        assertTrue(line.matches("error: this request needs about \\d+\\.\\d GiB \\(200000 sequences x \\d+\\.\\d KiB of KV cache"
                + " and logits\\) but the Java heap has \\d+\\.\\d [KMG]iB free \\(of -Xmx \\d+\\.\\d [MG]iB, keeping 10% in"
                + " reserve\\); lower num_return_sequences or max_new_tokens, or raise -Xmx"), line);
        assertFalse(run.err().contains("OutOfMemoryError"), run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    }
}
