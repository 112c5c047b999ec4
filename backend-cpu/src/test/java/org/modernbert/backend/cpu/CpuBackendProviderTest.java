package org.modernbert.backend.cpu;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.core.backend.BackendRegistry;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuBackendProviderTest {
    @Test
    void probeReportsVectorWidthAndCores() {
        Availability a = new CpuBackendProvider().probe();
        assertTrue(a.available(), a.detail());
        assertTrue(a.detail().contains(org.modernbert.backend.cpu.kernel.Lanes.F.vectorBitSize() + "-bit vectors"), a.detail());
        assertTrue(a.detail().contains(Runtime.getRuntime().availableProcessors() + " cores"), a.detail());
    }

    @Test
    void createHonoursTheThreadOption() {
        try (Backend b = new CpuBackendProvider().create(BackendOptions.defaults().withThreads(2))) {
            assertEquals("cpu", b.name());
            assertEquals(2, ((CpuBackend) b).threads());
        }
        try (Backend b = new CpuBackendProvider().create(BackendOptions.defaults())) {
            assertEquals(Runtime.getRuntime().availableProcessors(), ((CpuBackend) b).threads());
        }
    }

    @Test
    void listsItsDeviceAndRefusesOthersNamingIt() {
        Availability a = new CpuBackendProvider().probe();
        assertEquals(1, a.devices().size());
        assertEquals("cpu", a.devices().getFirst().id());
        assertTrue(a.devices().getFirst().memoryBytes() > 0);
        try (Backend b = new CpuBackendProvider().create(BackendOptions.defaults().withDevice("cpu"))) {
            assertEquals("cpu", b.device().id());
        }
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> new CpuBackendProvider().create(BackendOptions.defaults().withDevice("gpu0")));
        assertTrue(e.getMessage().startsWith("backend cpu has no device 'gpu0'; its only device is 'cpu'"), e.getMessage());
    }

    @Test
    void registeredAsAService() {
        // discovered through ServiceLoader by core's registry (which declares `uses`)
        BackendProvider p = BackendRegistry.discover().select("cpu");
        assertTrue(p instanceof CpuBackendProvider, "cpu resolves to " + p);
    }
}
