package org.modernbert.examples.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.conformance.ConformanceReport;
import org.modernbert.conformance.ConformanceRunner;
import org.modernbert.conformance.ConformanceTarget;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.backend.BackendRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code modernbert conformance --backend NAME [--quantize q8_0]}: runs the backend conformance kit
 * on an installed backend (without {@code --backend}: the one the other commands would pick) and prints
 * one row per compared quantity (check, largest error, tolerance, result). Exit code 0 when every check
 * passed, 1 otherwise. With {@code --quantize} the comparisons with the float64 reference use the
 * kit's quantization tolerances ({@code QuantizedTolerances}), marked as widened in the table.
 */
@Command(name = "conformance", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the backend conformance kit (the checks of BackendConformanceSuite) on an installed backend.",
                "Prints one row per compared quantity: check, largest error, tolerance, result; exit code 1 on any failure."})
final class ConformanceCommand implements Callable<Integer> {
    @Mixin
    BackendChoice choice;

    @Option(names = "--fixtures", split = ",", paramLabel = "NAME",
            description = "Only these fixture models (default: all): tiny-mbd, tiny-mbd-cls, tiny-mbd-bf16, tiny-mbd-f16, tiny-mbd-e2e.")
    List<String> fixtures = List.of();

    @Option(names = "--checks", split = ",", paramLabel = "GLOB", description = "Only the checks whose id matches, e.g. 'executor.*'.")
    List<String> checks = List.of();

    @Option(names = "--verbose", description = "List every rule of every check, not only the measured quantities.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        // the kit loads a model per fixture: keep their "loaded ..." lines off stderr
        Level before = LogManager.getLogger("org.modernbert").getLevel();
        if (before.isLessSpecificThan(Level.WARN)) {
            Configurator.setLevel("org.modernbert", Level.WARN);
        }
        try {
            return check();
        } finally {
            Configurator.setLevel("org.modernbert", before);
        }
    }

    private int check() {
        BackendOptions options = choice.options();
        for (String f : fixtures) {
            if (!ReferenceFixtures.ALL_MODELS.contains(f)) {
                throw new ModernBertException("no fixture model '" + f + "'; known: " + String.join(", ", ReferenceFixtures.ALL_MODELS));
            }
        }
        // unknown or unavailable: one line naming every installed backend and why
        BackendProvider provider = BackendRegistry.discover().select(choice.backend);
        ConformanceTarget target = ConformanceTarget.of(provider, options).withFixtures(Set.copyOf(fixtures)).withChecks(checks);
        PrintWriter out = spec.commandLine().getOut();
        ConformanceReport report = ConformanceRunner.run(target);
        report.print(out, verbose);
        out.flush();
        return report.passed() ? 0 : 1;
    }
}
