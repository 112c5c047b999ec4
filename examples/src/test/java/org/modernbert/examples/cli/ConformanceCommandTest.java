package org.modernbert.examples.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code modernbert conformance}: the kit from the command line. */
class ConformanceCommandTest {
    @Test
    void cpuPassesTheKitOnTheF32Fixtures() {
        CliRun run = CliRun.of("conformance", "--backend", "cpu", "--fixtures", "tiny-mbd,tiny-mbd-cls");
        assertEquals(0, run.exitCode(), () -> run.out() + run.err());
        String[] lines = run.out().split("\n");
        assertTrue(lines[0].startsWith("Conformance of backend cpu on "), lines[0]);
        assertTrue(lines[1].matches("CHECK +MAX ERROR +TOLERANCE +RESULT"), lines[1]);
        assertTrue(run.out().lines().anyMatch(l -> l.matches("executor\\.step\\[tiny-mbd] logits +\\d\\S* +1e-3\\+1e-4\\|b\\| +pass")),
                run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("model\\.classifier pooled logits +\\S+ +1e-3\\+1e-4\\|b\\| +pass")),
                run.out());
        assertTrue(run.out().contains("model.greedy[tiny-mbd] ids"), run.out());
        assertFalse(run.out().contains("tiny-mbd-bf16"), "fixtures not selected are left out");
        assertFalse(run.out().contains("FAIL"), run.out());
        assertTrue(lines[lines.length - 1].matches("\\d+ checks: \\d+ passed, 0 failed, 0 skipped; 0 rows widened, \\d+ informational\\. PASS"),
                lines[lines.length - 1]);
        assertFalse(run.err().contains("loaded"), "model loads are not logged: " + run.err());
    }

    @Test
    void quantizedRunMarksWidenedTolerances() {
        CliRun run = CliRun.of("conformance", "--backend", "cpu", "--quantize", "q8_0", "--fixtures", "tiny-mbd",
                "--checks", "executor.step*,model.greedy*");
        assertEquals(0, run.exitCode(), () -> run.out() + run.err());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("executor\\.step\\[tiny-mbd] logits +\\S+ +1e-3\\+1e-4\\|b\\| -> 6 \\(widened\\) +pass")),
                run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("model\\.greedy\\[tiny-mbd] ids +\\d+/44 agree \\(\\d+%\\) +exact -> info \\(widened\\) +info")),
                run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("model\\.greedy\\[tiny-mbd] ids vs uncached argmax +0 +1e-3\\+1e-4\\|b\\| +pass")),
                run.out());
    }

    @Test
    void unknownBackendIsOneLineAndExitCode1() {
        CliRun run = CliRun.of("conformance", "--backend", "no-such-backend");
        assertEquals(1, run.exitCode());
        assertEquals("", run.out());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("error: unknown backend 'no-such-backend'"), run.err());
    }

    @Test
    void unknownFixtureIsOneLine() {
        CliRun run = CliRun.of("conformance", "--backend", "cpu", "--fixtures", "tiny");
        assertEquals(1, run.exitCode());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("no fixture model 'tiny'"), run.err());
    }
}
