package org.modernbert.examples.cli;

import org.modernbert.api.backend.DeviceInfo;
import org.modernbert.core.backend.BackendRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code modernbert backends}: every installed provider, its priority, and whether it can run here. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the installed backends, their priority and devices, and why any is unavailable.")
final class BackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<BackendRegistry.ProbedProvider> probed = BackendRegistry.discover().probeAll();
        String chosen = probed.stream().filter(p -> p.availability().available()).map(BackendRegistry.ProbedProvider::name)
                .findFirst().orElse(null);
        out.printf("%-10s %8s  %s%n", "BACKEND", "PRIORITY", "STATUS");
        for (BackendRegistry.ProbedProvider p : probed) {
            String status = p.availability().available() ? "available: " + p.availability().detail()
                    : "unavailable: " + p.availability().detail();
            out.printf("%-10s %8d  %s%s%n", p.name(), p.provider().priority(), status,
                    p.name().equals(chosen) ? " (default)" : "");
            for (DeviceInfo d : p.availability().devices()) {
                out.printf("%-10s %8s    device %s: %s, %.1f GiB%n", "", "", d.id(), d.name(), d.memoryBytes() / (double) (1L << 30));
            }
        }
        if (probed.isEmpty()) {
            out.println("no backend provider is installed");
        }
        out.flush();
        return 0;
    }
}
