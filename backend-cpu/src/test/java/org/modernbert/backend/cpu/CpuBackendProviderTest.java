package org.modernbert.backend.cpu;

import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.core.backend.BackendRegistry;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuBackendProviderTest {
    @Test
    void probeReportsVectorWidthAndCores() {
        Availability a = new CpuBackendProvider().probe();
        assertTrue(a.available(), a.detail());
        assertTrue(a.detail().contains(VectorKernels.F.vectorBitSize() + "-bit vectors"), a.detail());
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
    void registeredAsAService() {
        // discovered through ServiceLoader by core's registry (which declares `uses`)
        BackendProvider p = BackendRegistry.discover().select("cpu");
        assertTrue(p instanceof CpuBackendProvider, "cpu resolves to " + p);
    }
}
