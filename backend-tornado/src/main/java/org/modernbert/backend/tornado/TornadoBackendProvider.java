package org.modernbert.backend.tornado;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.backend.DeviceInfo;

/**
 * The TornadoVM backend's provider. TornadoVM programs run with TornadoVM's JVM options
 * ({@code java @$TORNADO_SDK/tornado.argfile}, or its {@code tornado} launcher), which set
 * {@code tornado.load.runtime.implementation} and put the {@code tornado.runtime} module on the
 * module graph; without both the backend reports itself unavailable and says how to get it. No
 * TornadoVM class is touched before both are found: {@link TornadoDevices} is the only class the
 * probe loads, and only then.
 */
public final class TornadoBackendProvider implements BackendProvider {
    static final String RUNTIME_PROPERTY = "tornado.load.runtime.implementation";

    @Override
    public String name() {
        return "tornado";
    }

    /**
     * Below the CPU backend unless TornadoVM's default device is an accelerator: on an OpenCL CPU
     * device (PoCL) the Vector API backend is faster, so it stays the default there.
     */
    @Override
    public int priority() {
        Availability a = probe();
        return a.available() && !a.devices().getFirst().name().endsWith(" CPU]") ? 200 : 90;
    }

    @Override
    public Availability probe() {
        if (System.getProperty(RUNTIME_PROPERTY) == null) {
            return Availability.unavailable("TornadoVM runtime not found: run under the TornadoVM launcher "
                    + "($TORNADOVM_HOME/bin/tornado or java @tornado-argfile; ./modernbert adds it when TORNADO_SDK is set); system property "
                    + RUNTIME_PROPERTY + " is not set");
        }
        if (ModuleLayer.boot().findModule("tornado.runtime").isEmpty()) {
            return Availability.unavailable("TornadoVM runtime module tornado.runtime is not on the module path");
        }
        try {
            return TornadoDevices.probe();
        } catch (Throwable e) { // the runtime fails as ExceptionInInitializerError, UnsatisfiedLinkError, ...
            return Availability.unavailable("TornadoVM runtime found but it failed to start: " + e);
        }
    }

    @Override
    public Backend create(BackendOptions options) {
        Availability a = probe();
        if (!a.available()) {
            throw new ModernBertException("backend 'tornado' is not available: " + a.detail());
        }
        DeviceInfo device = a.devices().getFirst();
        if (options.device() != null) {
            device = a.devices().stream().filter(d -> d.id().equals(options.device())).findFirst()
                    .orElseThrow(() -> new ModernBertException("backend tornado has no device '" + options.device() + "'; its devices are "
                            + a.devices().stream().map(d -> d.id() + " (" + d.name() + ")").toList()));
        }
        return new TornadoBackend(device, TornadoDevices.device(device.id()));
    }
}
