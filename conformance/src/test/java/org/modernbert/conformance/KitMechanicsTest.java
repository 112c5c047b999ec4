package org.modernbert.conformance;

import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.Comparison.Quantity;
import org.modernbert.conformance.ConformanceReport.Result;
import org.modernbert.conformance.ConformanceReport.Row;
import org.modernbert.conformance.example.ExampleBackendProvider;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit's own machinery: skipping, the tolerance hook, quantized runs, selection, the report. */
class KitMechanicsTest {
    private static final Set<String> TINY = Set.of("tiny-mbd");

    @Test
    void unavailableBackendSkipsEveryCheckWithTheProbesReason() {
        BackendProvider absent = new BackendProvider() {
            public String name() {
                return "absent";
            }

            public int priority() {
                return 1;
            }

            public Availability probe() {
                return Availability.unavailable("no accelerator on this machine");
            }

            public Backend create(BackendOptions options) {
                throw new AssertionError("never created: the probe said unavailable");
            }
        };
        ConformanceReport report = ConformanceRunner.run(ConformanceTarget.of(absent, BackendOptions.defaults()));
        assertEquals(List.of(new ConformanceReport.Outcome("backend", Result.SKIP,
                "backend absent unavailable: no accelerator on this machine")), report.outcomes());
        assertTrue(report.failedChecks().isEmpty(), "skipped, not failed");
        assertFalse(report.passed(), "nothing ran, so nothing passed");
        assertTrue(report.toString().contains("no accelerator on this machine"), report.toString());
    }

    @Test
    void unknownBackendNameFailsTheRun() {
        ConformanceReport report = ConformanceRunner.run(ConformanceTarget.named("no-such-backend", BackendOptions.defaults()));
        assertEquals(Set.of("backend"), report.failedChecks());
        assertTrue(report.outcomes().getFirst().message().contains("unknown backend 'no-such-backend'"), report.toString());
    }

    @Test
    void theHookWidensAndTheReportSaysSo() {
        Tolerance half = new Tolerance(0.5, 0);
        ConformanceReport report = ConformanceRunner.run(ConformanceTarget.of(new ExampleBackendProvider(), BackendOptions.defaults())
                .withFixtures(TINY).withChecks(List.of("executor.step*", "executor.clear"))
                .withHook((c, declared) -> c.reference() && c.quantity() == Quantity.LOGITS ? half : declared));
        assertTrue(report.passed(), report.toString());
        assertEquals(Set.of("executor.step[tiny-mbd]", "executor.clear"), report.passedChecks(), "only the selected checks ran");
        Row logits = report.row("executor.step[tiny-mbd]", "logits");
        assertEquals(half, logits.tolerance());
        assertEquals(Tolerance.ACTIVATIONS, logits.declared());
        assertEquals("1e-3+1e-4|b| -> 0.5 (widened)", logits.toleranceText());
        assertNull(report.row("executor.step[tiny-mbd]", "last hidden state").declared(), "hidden states kept their tolerance");
        assertNull(report.row("executor.clear", "the same tokens after clear()").declared(), "consistency kept its tolerance");
        assertTrue(report.summary().contains("1 rows widened"), report.summary());
    }

    @Test
    void quantizedRunWidensOnlyComparisonsWithTheReference() {
        ConformanceReport report = ConformanceRunner.run(ConformanceTarget.of(new ExampleBackendProvider(),
                        BackendOptions.defaults().withQuantize(WeightFormat.Q8_0))
                .withFixtures(TINY).withChecks(List.of("executor.step*", "executor.fork", "model.greedy*", "model.forward*")));
        assertTrue(report.passed(), report.toString());
        Row logits = report.row("executor.step[tiny-mbd]", "logits");
        assertEquals(QuantizedTolerances.bound(WeightFormat.Q8_0, Quantity.LOGITS), logits.tolerance());
        assertTrue(logits.maxError() > 0.1, "Q8_0 weights do move the logits: " + logits.maxError());
        assertEquals(QuantizedTolerances.bound(WeightFormat.Q8_0, Quantity.LOSS),
                report.row("model.forward[tiny-mbd]", "loss per row").tolerance());
        Row ids = report.row("model.greedy[tiny-mbd]", "ids");
        assertEquals(Result.INFO, ids.result());
        assertTrue(ids.measured().matches("\\d+/44 agree \\(\\d+%\\)"), ids.measured());
        Row self = report.row("model.greedy[tiny-mbd]", "ids vs uncached argmax");
        assertEquals(Result.PASS, self.result());
        assertNull(self.declared(), "the backend against itself keeps float32 tolerances");
        assertNull(report.row("executor.fork", "fork vs a fresh cache").declared());
    }

    @Test
    void tolerancesPrintShort() {
        assertEquals("1e-3+1e-4|b|", Tolerance.ACTIVATIONS.describe());
        assertEquals("1e-4|b|", Tolerance.LOSS.describe());
        assertEquals("exact", Tolerance.EXACT.describe());
        assertEquals("info", Tolerance.INFORMATIONAL.describe());
        assertEquals("0.5", new Tolerance(0.5, 0).describe());
        assertEquals("2.5e-5", Tolerance.number(2.5e-5));
        assertEquals("6.2e-5", Tolerance.number(6.2e-5));
        assertEquals("23.5", Tolerance.number(23.51));
        assertTrue(Tolerance.INFORMATIONAL.close(1e9, 0));
        assertNotNull(Tolerance.ACTIVATIONS.atLeast(Tolerance.LOSS));
    }
}
