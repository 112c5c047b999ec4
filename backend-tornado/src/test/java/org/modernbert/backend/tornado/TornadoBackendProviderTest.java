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

class TornadoBackendProviderTest {
    private final TornadoBackendProvider provider = new TornadoBackendProvider();

    @AfterEach
    void clear() {
        System.clearProperty(TornadoBackendProvider.RUNTIME_PROPERTY);
    }

    @Test
    void withoutTheLauncherItSaysHowToGetTornadoVm() {
        Availability a = provider.probe();
        assertFalse(a.available());
        assertTrue(a.detail().contains("TornadoVM runtime not found") && a.detail().contains("tornado-argfile"), a.detail());
    }

    @Test
    void withThePropertyButNoRuntimeModuleItNamesTheModule() {
        System.setProperty(TornadoBackendProvider.RUNTIME_PROPERTY, "uk.ac.manchester.tornado.runtime.TornadoCoreRuntime");
        Availability a = provider.probe();
        assertFalse(a.available());
        assertTrue(a.detail().contains("tornado.runtime"), a.detail());
    }

    @Test
    void creatingItAnywayFailsWithTheProbeReason() {
        ModernBertException e = assertThrows(ModernBertException.class, () -> provider.create(BackendOptions.defaults()));
        assertTrue(e.getMessage().startsWith("backend 'tornado' is not available: TornadoVM runtime not found"), e.getMessage());
        assertEquals("tornado", provider.name());
        assertTrue(provider.priority() > 100, "a GPU backend outranks the CPU when it is available");
    }
}
