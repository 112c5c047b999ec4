package org.modernbert.conformance;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.core.backend.BackendRegistry;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@link ConformanceRunner} runs the kit on: a backend (a provider object, or a name looked up
 * among the installed providers) with the options to create it and load the fixtures with, and
 * optionally a subset of fixtures and checks and a {@link ToleranceHook}.
 *
 * @param name     the backend's name (the provider's, when one is given)
 * @param provider the provider, or null to look {@code name} up with {@link BackendRegistry}
 * @param options  threads, device and quantization for every model the kit loads
 * @param fixtures the fixture models to use (see {@link ReferenceFixtures}); empty means all
 * @param checks   glob patterns ({@code *} and {@code ?}) of check ids to run, e.g. {@code executor.*}; empty means all
 * @param hook     a tolerance hook; null means the kit's default (which widens only for quantized weights)
 */
public record ConformanceTarget(String name, BackendProvider provider, BackendOptions options, Set<String> fixtures,
                                List<String> checks, ToleranceHook hook) {
    public ConformanceTarget {
        Objects.requireNonNull(options, "options");
        if (provider != null) {
            name = provider.name();
        }
        Objects.requireNonNull(name, "name");
        fixtures = Set.copyOf(fixtures);
        checks = List.copyOf(checks);
        for (String f : fixtures) {
            if (!ReferenceFixtures.ALL_MODELS.contains(f)) {
                throw new ModernBertException("no fixture model '" + f + "'; known: " + String.join(", ", ReferenceFixtures.ALL_MODELS));
            }
        }
    }

    /** An installed backend by name. */
    public static ConformanceTarget named(String name, BackendOptions options) {
        return new ConformanceTarget(name, null, options, Set.of(), List.of(), null);
    }

    /** A provider held by the caller (not necessarily registered with ServiceLoader). */
    public static ConformanceTarget of(BackendProvider provider, BackendOptions options) {
        return new ConformanceTarget(provider.name(), provider, options, Set.of(), List.of(), null);
    }

    public ConformanceTarget withFixtures(Set<String> only) {
        return new ConformanceTarget(name, provider, options, only, checks, hook);
    }

    public ConformanceTarget withChecks(List<String> patterns) {
        return new ConformanceTarget(name, provider, options, fixtures, patterns, hook);
    }

    public ConformanceTarget withHook(ToleranceHook h) {
        return new ConformanceTarget(name, provider, options, fixtures, checks, h);
    }

    /** The provider: the one given, or the installed one of this name (available or not). */
    public BackendProvider resolveProvider() {
        if (provider != null) {
            return provider;
        }
        return findInstalled(name);
    }

    /** Whether the kit uses this fixture model. */
    public boolean usesFixture(String fixture) {
        return fixtures.isEmpty() || fixtures.contains(fixture);
    }

    /** Whether this check id is selected. */
    public boolean runsCheck(String checkId) {
        if (checks.isEmpty()) {
            return true;
        }
        for (String glob : checks) {
            if (glob(glob).matcher(checkId).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The installed provider of this name, available or not; a ModernBertException listing the installed ones if none. */
    static BackendProvider findInstalled(String name) {
        List<BackendRegistry.ProbedProvider> probed = BackendRegistry.discover().probeAll();
        for (BackendRegistry.ProbedProvider p : probed) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p.provider();
            }
        }
        String installed = probed.isEmpty() ? "none" : String.join(", ", probed.stream().map(BackendRegistry.ProbedProvider::name).toList());
        throw new ModernBertException("unknown backend '" + name + "'; installed backends: " + installed);
    }

    private static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.trim().toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("backend ").append(name);
        if (options.quantize() != null) {
            s.append(", weights quantized to ").append(options.quantize().name().toLowerCase(Locale.ROOT));
        } else {
            s.append(", stored weight formats");
        }
        if (options.threads() > 0) {
            s.append(", ").append(options.threads()).append(" threads");
        }
        if (options.device() != null) {
            s.append(", device ").append(options.device());
        }
        if (!fixtures.isEmpty()) {
            s.append(", fixtures ").append(String.join(",", fixtures.stream().sorted().toList()));
        }
        if (!checks.isEmpty()) {
            s.append(", checks ").append(String.join(",", checks));
        }
        return s.toString();
    }
}
