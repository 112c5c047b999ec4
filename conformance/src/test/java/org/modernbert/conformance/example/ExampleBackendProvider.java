package org.modernbert.conformance.example;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.backend.DeviceInfo;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.ModelWeights;

import java.util.List;
import java.util.function.Function;

/**
 * The example backend of {@code docs/backends.md}: the whole ModernBERT decoder in plain, scalar Java
 * ({@link ExampleExecutor}). Slow, short, and complete: it passes the conformance kit.
 *
 * <p>A real backend registers its provider in {@code module-info.java}
 * ({@code provides org.modernbert.api.backend.BackendProvider with ...}) and in
 * {@code META-INF/services/org.modernbert.api.backend.BackendProvider}; this one is only used from
 * tests, which hand the provider object to {@code ModernBert.load(folder, provider, options)}.
 */
public class ExampleBackendProvider implements BackendProvider {
    static final DeviceInfo DEVICE = new DeviceInfo("cpu", "the Java heap, one thread", Runtime.getRuntime().maxMemory());

    private final String name;
    private final Function<ModelWeights, ? extends ModelExecutor> executors;

    public ExampleBackendProvider() {
        this("example", ExampleExecutor::new);
    }

    /** A provider whose backend loads models with {@code executors} (the kit's tests plant faults this way). */
    public ExampleBackendProvider(String name, Function<ModelWeights, ? extends ModelExecutor> executors) {
        this.name = name;
        this.executors = executors;
    }

    @Override
    public String name() {
        return name;
    }

    /** The lowest: never picked when a user names no backend. */
    @Override
    public int priority() {
        return 0;
    }

    /** Cheap, and never throws: a backend that needs a runtime or a device says here why it cannot run. */
    @Override
    public Availability probe() {
        return Availability.available("plain Java, float64, one thread", List.of(DEVICE));
    }

    @Override
    public Backend create(BackendOptions options) {
        if (options.device() != null && !options.device().equals(DEVICE.id())) {
            throw new ModernBertException("backend " + name + " has no device '" + options.device() + "'; its only device is '"
                    + DEVICE.id() + "' (" + DEVICE.name() + ")");
        }
        return new ExampleBackend(name, executors);
    }
}
