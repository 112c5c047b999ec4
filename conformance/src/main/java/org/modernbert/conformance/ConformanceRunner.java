package org.modernbert.conformance;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.ConformanceReport.Result;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs the kit outside a build: launches the checks of {@link BackendConformanceSuite} with the JUnit
 * Platform launcher on a {@link ConformanceTarget} and returns the report. {@code ./modernbert
 * conformance --backend NAME} is a thin command over {@link #run(ConformanceTarget, PrintWriter)}.
 *
 * <p>The checks run in a concrete subclass of the suite that takes its target from here while a run
 * is under way, or else from system properties, so any JUnit launcher can run it too:
 * {@code -Dmodernbert.conformance.backend=NAME} and optionally {@code .quantize=q8_0},
 * {@code .threads=N}, {@code .device=ID}, {@code .fixtures=tiny-mbd,...}, {@code .checks=executor.*,...}
 * (class {@code org.modernbert.conformance.TargetedConformanceSuite}).
 */
public final class ConformanceRunner {
    static final String PROPERTY = "modernbert.conformance.";

    private static volatile ConformanceTarget current;
    private static volatile ConformanceReport finished;

    private ConformanceRunner() {
    }

    /** Runs every selected check on {@code target}, prints the table to {@code out}, and returns the exit code: 0 when all passed. */
    public static int run(ConformanceTarget target, PrintWriter out) {
        ConformanceReport report = run(target);
        report.print(out);
        return report.passed() ? 0 : 1;
    }

    /** Runs every selected check on {@code target} and returns what they measured. One run at a time. */
    public static synchronized ConformanceReport run(ConformanceTarget target) {
        current = target;
        finished = null;
        ContainerListener listener = new ContainerListener();
        try {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectClass(TargetedConformanceSuite.class))
                    .filters(EngineFilter.includeEngines("junit-jupiter"))
                    .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "false")
                    .configurationParameter("junit.jupiter.execution.parallel.enabled", "false")
                    .build();
            Launcher launcher = LauncherFactory.create();
            launcher.execute(request, listener);
        } finally {
            current = null;
        }
        ConformanceReport report = finished != null ? finished : new ConformanceReport("Conformance of backend " + target.name());
        finished = null;
        if (!listener.ran) {
            report.outcome("kit", Result.FAIL, "the JUnit Platform found no conformance checks to run (is junit-jupiter-engine"
                    + " on the module path?)");
        }
        for (String problem : listener.problems) {
            // a failure the kit recorded itself (say, no such backend) is not repeated
            if (report.outcomes().stream().noneMatch(o -> o.result() == Result.FAIL && problem.equals(o.message()))) {
                report.outcome("kit", Result.FAIL, problem);
            }
        }
        return report;
    }

    /** The target of the run under way, else the one the system properties describe, else null. */
    static ConformanceTarget currentTarget() {
        ConformanceTarget t = current;
        if (t != null) {
            return t;
        }
        String backend = System.getProperty(PROPERTY + "backend");
        if (backend == null || backend.isBlank()) {
            return null;
        }
        BackendOptions options = BackendOptions.defaults()
                .withThreads(Integer.parseInt(System.getProperty(PROPERTY + "threads", "0")))
                .withDevice(System.getProperty(PROPERTY + "device"));
        String quantize = System.getProperty(PROPERTY + "quantize");
        if (quantize != null && !quantize.isBlank()) {
            WeightFormat f = WeightFormat.fromName(quantize);
            if (f == null) {
                throw new IllegalArgumentException(PROPERTY + "quantize: unknown weight format '" + quantize + "'; known: "
                        + Arrays.toString(WeightFormat.values()));
            }
            options = options.withQuantize(f);
        }
        return ConformanceTarget.named(backend, options)
                .withFixtures(Set.copyOf(list(System.getProperty(PROPERTY + "fixtures"))))
                .withChecks(list(System.getProperty(PROPERTY + "checks")));
    }

    /** Whether a run of this class is under way (then its report goes to the runner, not to standard output). */
    static boolean running() {
        return current != null;
    }

    static void finished(ConformanceReport report) {
        finished = report;
    }

    private static List<String> list(String csv) {
        List<String> out = new ArrayList<>();
        if (csv != null) {
            for (String s : csv.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    /** Notices failures outside the checks (a class that could not start or finish). */
    private static final class ContainerListener implements TestExecutionListener {
        final Set<String> problems = new LinkedHashSet<>();
        boolean ran;

        @Override
        public void executionStarted(TestIdentifier id) {
            if (id.isContainer() && id.getSource().isPresent()) {
                ran = true;
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (id.isContainer() && result.getStatus() == TestExecutionResult.Status.FAILED) {
                String message = result.getThrowable().map(t -> t.getMessage() != null ? t.getMessage() : t.toString())
                        .orElse("failed");
                problems.add(ConformanceReport.firstLine(message));
            }
        }
    }
}
