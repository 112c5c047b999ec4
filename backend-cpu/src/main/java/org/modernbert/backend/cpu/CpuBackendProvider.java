package org.modernbert.backend.cpu;

import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;

/** Registers the CPU backend. Available wherever the Vector API module is on the module graph. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability probe() {
        return Availability.available("Java Vector API, " + Runtime.getRuntime().availableProcessors() + " cores");
    }

    @Override
    public Backend create(BackendOptions options) {
        throw new UnsupportedOperationException("work in progress");
    }
}
