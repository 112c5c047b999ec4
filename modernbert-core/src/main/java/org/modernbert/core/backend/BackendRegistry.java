package org.modernbert.core.backend;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.BackendProvider;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds backends with {@link ServiceLoader} and picks one: an explicit name (API argument, then the
 * system property {@value #PROPERTY}, then the environment variable {@value #ENV}) or else the
 * available provider with the highest priority. A name that is unknown or unavailable fails with
 * every provider and its probe result listed.
 */
public final class BackendRegistry {
    public static final String PROPERTY = "modernbert.backend";
    public static final String ENV = "MODERNBERT_BACKEND";

    /** A provider and what its probe said. */
    public record ProbedProvider(BackendProvider provider, Availability availability) {
        public String name() {
            return provider.name();
        }
    }

    private final List<BackendProvider> providers;
    private final Map<String, String> environment;

    private BackendRegistry(List<BackendProvider> providers, Map<String, String> environment) {
        this.providers = List.copyOf(providers);
        this.environment = environment;
    }

    /**
     * The providers visible to this module's layer (module path or META-INF/services on the class
     * path) and to the thread's context class loader: on Spark, jars shipped with {@code spark.jars}
     * are only visible through the latter. A provider class found through both is kept once.
     */
    public static BackendRegistry discover() {
        Map<String, BackendProvider> found = new java.util.LinkedHashMap<>();
        ServiceLoader.load(BackendProvider.class, BackendRegistry.class.getClassLoader())
                .forEach(p -> found.putIfAbsent(p.getClass().getName(), p));
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != BackendRegistry.class.getClassLoader()) {
            ServiceLoader.load(BackendProvider.class, context).forEach(p -> found.putIfAbsent(p.getClass().getName(), p));
        }
        return new BackendRegistry(new ArrayList<>(found.values()), System.getenv());
    }

    /** A registry over given providers and environment (tests, embedding with custom providers). */
    public static BackendRegistry of(List<BackendProvider> providers, Map<String, String> environment) {
        return new BackendRegistry(providers, environment);
    }

    /** Every provider, highest priority first, each probed. */
    public List<ProbedProvider> probeAll() {
        List<ProbedProvider> out = new ArrayList<>();
        for (BackendProvider p : providers) {
            out.add(new ProbedProvider(p, safeProbe(p)));
        }
        out.sort(Comparator.comparingInt((ProbedProvider p) -> p.provider().priority()).reversed()
                .thenComparing(ProbedProvider::name));
        return out;
    }

    /**
     * Picks the backend: {@code explicitName} if not null/blank, else the system property, else the
     * environment variable, else the best available provider.
     */
    public BackendProvider select(String explicitName) {
        String name = firstNonBlank(explicitName, System.getProperty(PROPERTY), environment.get(ENV));
        if (name != null) {
            // Only the named provider is probed: another backend's probe may start its runtime (TornadoVM loads
            // its device drivers, PoCL and LLVM), which a run that asked for cpu should not pay for or carry.
            String wanted = name.trim();
            for (BackendProvider p : providers) {
                if (p.name().equalsIgnoreCase(wanted)) {
                    Availability a = safeProbe(p);
                    if (a.available()) {
                        return p;
                    }
                    throw new ModernBertException("backend '" + name + "' is not available: " + a.detail() + describe(probeAll()));
                }
            }
            throw new ModernBertException("unknown backend '" + name + "'" + describe(probeAll()));
        }
        List<ProbedProvider> probed = probeAll();
        for (ProbedProvider p : probed) {
            if (p.availability().available()) {
                return p.provider();
            }
        }
        throw new ModernBertException("no backend is available" + describe(probed));
    }

    private static String describe(List<ProbedProvider> probed) {
        if (probed.isEmpty()) {
            return "; no backend provider is installed (add backend-cpu to the module path or class path)";
        }
        StringBuilder sb = new StringBuilder("; backends:");
        for (ProbedProvider p : probed) {
            sb.append(' ').append(p.name()).append(" (priority ").append(p.provider().priority()).append(", ")
                    .append(p.availability().available() ? "available" : "unavailable: " + p.availability().detail())
                    .append(')').append(';');
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    private static Availability safeProbe(BackendProvider p) {
        try {
            Availability a = p.probe();
            return a == null ? Availability.unavailable("probe returned nothing") : a;
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("probe failed: " + e);
        }
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
