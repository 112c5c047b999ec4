package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.ConformanceRunner;
import org.modernbert.conformance.ConformanceTarget;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.backend.BackendRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code modernbert conformance --backend NAME [--quantize q8_0]}: runs the backend conformance kit
 * on an installed backend and prints one row per compared quantity (check, largest error, tolerance,
 * result). Exit code 0 when every check passed, 1 otherwise.
 */
@Command(name = "conformance", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the backend conformance kit (the checks of BackendConformanceSuite) on an installed backend.",
                "Prints one row per compared quantity: check, largest error, tolerance, result; exit code 1 on any failure."})
final class ConformanceCommand implements Callable<Integer> {
    @Option(names = "--backend", required = true, paramLabel = "NAME", description = "The backend to check (see 'modernbert backends').")
    String backend;

    @Option(names = "--quantize", paramLabel = "FORMAT",
            description = "Convert the fixtures' weights to this format while loading (q8_0, bf16, f16, f32); comparisons with the"
                    + " float64 reference then use the documented quantization tolerances.")
    String quantize;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (0: one per core).")
    int threads;

    @Option(names = "--device", paramLabel = "ID", description = "Device id (default: the backend's default device).")
    String device;

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
        BackendOptions options = BackendOptions.defaults().withThreads(threads).withDevice(device);
        if (quantize != null) {
            WeightFormat format = WeightFormat.fromName(quantize);
            if (format == null) {
                throw new ModernBertException("unknown weight format '" + quantize + "' for --quantize; known: "
                        + String.join(", ", Arrays.stream(WeightFormat.values()).map(f -> f.name().toLowerCase(Locale.ROOT)).toList()));
            }
            options = options.withQuantize(format);
        }
        for (String f : fixtures) {
            if (!ReferenceFixtures.ALL_MODELS.contains(f)) {
                throw new ModernBertException("no fixture model '" + f + "'; known: " + String.join(", ", ReferenceFixtures.ALL_MODELS));
            }
        }
        // unknown or unavailable: one line naming every installed backend and why
        BackendProvider provider = BackendRegistry.discover().select(backend);
        ConformanceTarget target = ConformanceTarget.of(provider, options).withFixtures(Set.copyOf(fixtures)).withChecks(checks);
        PrintWriter out = spec.commandLine().getOut();
        String previous = System.getProperty("modernbert.log.level");
        if (previous == null) {
            System.setProperty("modernbert.log.level", "warn"); // the kit loads a model per fixture: no "loaded ..." lines
        }
        try {
            var report = ConformanceRunner.run(target);
            report.print(out, verbose);
            out.flush();
            return report.passed() ? 0 : 1;
        } finally {
            if (previous == null) {
                System.clearProperty("modernbert.log.level");
            }
        }
    }
}
