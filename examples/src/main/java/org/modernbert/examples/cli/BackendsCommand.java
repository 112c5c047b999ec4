package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;
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
        description = {"List the installed backends, their priority and devices, and why any is unavailable.",
                "The backend a command without --backend uses is marked: (default) when chosen by priority,",
                "(selected by ...) when -Dmodernbert.backend or MODERNBERT_BACKEND names it."})
final class BackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BackendRegistry registry = BackendRegistry.discover();
        List<BackendRegistry.ProbedProvider> probed = registry.probeAll();
        // The backend a command without --backend would get: the registry's own choice, so that
        // -Dmodernbert.backend and MODERNBERT_BACKEND count as they do when a model is loaded.
        String property = System.getProperty(BackendRegistry.PROPERTY);
        String env = System.getenv(BackendRegistry.ENV);
        String source = property != null && !property.isBlank() ? "-D" + BackendRegistry.PROPERTY + "=" + property.strip()
                : env != null && !env.isBlank() ? BackendRegistry.ENV + "=" + env.strip() : null;
        String chosen = null;
        String noChoice = null;
        try {
            chosen = registry.select(null).name();
        } catch (ModernBertException e) {
            String m = e.getMessage();
            int list = m.indexOf("; backends:");
            noChoice = list > 0 ? m.substring(0, list) : m;
        }
        String mark = source == null ? " (default)" : " (selected by " + source + ")";
        out.printf("%-10s %8s  %s%n", "BACKEND", "PRIORITY", "STATUS");
        for (BackendRegistry.ProbedProvider p : probed) {
            String status = p.availability().available() ? "available: " + p.availability().detail()
                    : "unavailable: " + p.availability().detail();
            out.printf("%-10s %8d  %s%s%n", p.name(), p.provider().priority(), status,
                    p.name().equals(chosen) ? mark : "");
            for (DeviceInfo d : p.availability().devices()) {
                out.printf("%-10s %8s    device %s: %s, %.1f GiB%n", "", "", d.id(), d.name(), d.memoryBytes() / (double) (1L << 30));
            }
        }
        if (probed.isEmpty()) {
            out.println("no backend provider is installed");
        } else if (noChoice != null) {
            out.println("no backend would be used" + (source == null ? "" : " (" + source + ")") + ": " + noChoice);
        }
        out.flush();
        return 0;
    }
}
