package org.modernbert.backend.tornado;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;

/**
 * The TornadoVM backend's provider. TornadoVM programs run under the {@code tornado} launcher, which
 * sets {@code tornado.load.runtime.implementation} and puts the {@code tornado.runtime} module on the
 * module graph; without both the backend reports itself unavailable and says how to get it. The
 * kernels themselves are the subject of a later issue.
 */
public final class TornadoBackendProvider implements BackendProvider {
    static final String RUNTIME_PROPERTY = "tornado.load.runtime.implementation";

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public int priority() {
        return 200; // a GPU, when present, beats the CPU
    }

    @Override
    public Availability probe() {
        if (System.getProperty(RUNTIME_PROPERTY) == null) {
            return Availability.unavailable("TornadoVM runtime not found: run under the TornadoVM launcher "
                    + "($TORNADOVM_HOME/bin/tornado or java @tornado-argfile); system property " + RUNTIME_PROPERTY + " is not set");
        }
        if (ModuleLayer.boot().findModule("tornado.runtime").isEmpty()) {
            return Availability.unavailable("TornadoVM runtime module tornado.runtime is not on the module path");
        }
        return Availability.unavailable("TornadoVM runtime found, but this build of backend-tornado has no kernels yet");
    }

    @Override
    public Backend create(BackendOptions options) {
        throw new ModernBertException("backend 'tornado' is not available: " + probe().detail());
    }
}
