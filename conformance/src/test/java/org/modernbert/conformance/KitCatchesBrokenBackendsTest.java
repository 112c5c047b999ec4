package org.modernbert.conformance;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.conformance.example.ExampleBackendProvider;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit is tested too: each planted fault of {@link BrokenBackends} runs through the whole kit (on
 * {@code tiny-mbd}, the fixture every executor check uses) and must fail the checks it names.
 */
class KitCatchesBrokenBackendsTest {
    @ParameterizedTest(name = "{0}")
    @EnumSource(BrokenBackends.class)
    void eachFaultIsCaughtByItsChecks(BrokenBackends fault) {
        String name = "example+" + fault.name().toLowerCase(Locale.ROOT).replace('_', '-');
        ConformanceReport report = ConformanceRunner.run(
                ConformanceTarget.of(new ExampleBackendProvider(name, fault.executors), BackendOptions.defaults())
                        .withFixtures(Set.of("tiny-mbd")));
        Set<String> failed = new TreeSet<>(report.failedChecks());
        System.out.println(fault + " failed " + failed);
        assertFalse(failed.contains("kit") || failed.contains("backend"), () -> "the kit itself did not run:\n" + report);
        assertTrue(failed.containsAll(fault.caughtBy), () -> fault + " must fail " + fault.caughtBy + " but failed " + failed
                + "\n" + report);
    }
}
