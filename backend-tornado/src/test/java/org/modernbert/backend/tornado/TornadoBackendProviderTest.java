package org.modernbert.backend.tornado;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.BackendOptions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TornadoBackendProviderTest {
    private final TornadoBackendProvider provider = new TornadoBackendProvider();

    /** The property as the JVM started (set where TornadoVM's argfile is in use): restored after each test. */
    private static final String STARTED_WITH = System.getProperty(TornadoBackendProvider.RUNTIME_PROPERTY);

    @AfterEach
    void restore() {
        if (STARTED_WITH == null) {
            System.clearProperty(TornadoBackendProvider.RUNTIME_PROPERTY);
        } else {
            System.setProperty(TornadoBackendProvider.RUNTIME_PROPERTY, STARTED_WITH);
        }
    }

    @Test
    void withoutTheLauncherItSaysHowToGetTornadoVm() {
        System.clearProperty(TornadoBackendProvider.RUNTIME_PROPERTY);
        Availability a = provider.probe();
        assertFalse(a.available());
        assertTrue(a.detail().contains("TornadoVM runtime not found") && a.detail().contains("tornado-argfile"), a.detail());
    }

    @Test
    void withThePropertyButNoRuntimeModuleItNamesTheModule() {
        assumeTrue(ModuleLayer.boot().findModule("tornado.runtime").isEmpty(), "this JVM runs with TornadoVM's modules");
        System.setProperty(TornadoBackendProvider.RUNTIME_PROPERTY, "uk.ac.manchester.tornado.runtime.TornadoCoreRuntime");
        Availability a = provider.probe();
        assertFalse(a.available());
        assertTrue(a.detail().contains("tornado.runtime"), a.detail());
    }

    @Test
    void creatingItAnywayFailsWithTheProbeReason() {
        System.clearProperty(TornadoBackendProvider.RUNTIME_PROPERTY);
        ModernBertException e = assertThrows(ModernBertException.class, () -> provider.create(BackendOptions.defaults()));
        assertTrue(e.getMessage().startsWith("backend 'tornado' is not available: TornadoVM runtime not found"), e.getMessage());
        assertEquals("tornado", provider.name());
        assertTrue(provider.priority() < 100, "unavailable, it ranks below the CPU backend");
    }

    @Test
    void withTheRuntimeItListsTornadoVmsDevicesAndRefusesAnUnknownOne() {
        assumeTrue(STARTED_WITH != null && ModuleLayer.boot().findModule("tornado.runtime").isPresent(),
                "TornadoVM is not on this JVM (set TORNADO_SDK, see ../shared/tornadovm/setup.sh)");
        Availability a = provider.probe();
        assertTrue(a.available(), a.detail());
        assertTrue(a.devices().getFirst().id().matches("tornado:\\d+:\\d+"), a.devices().toString());
        assertTrue(a.devices().getFirst().memoryBytes() > 0, a.devices().toString());
        ModernBertException e = assertThrows(ModernBertException.class, () -> provider.create(BackendOptions.defaults().withDevice("tornado:9:9")));
        assertTrue(e.getMessage().startsWith("backend tornado has no device 'tornado:9:9'; its devices are [tornado:0:0"), e.getMessage());
        try (var backend = provider.create(BackendOptions.defaults().withDevice(a.devices().getFirst().id()))) {
            assertEquals(a.devices().getFirst(), backend.device());
        }
    }
}
