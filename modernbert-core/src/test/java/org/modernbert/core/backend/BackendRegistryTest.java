package org.modernbert.core.backend;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.backend.DeviceInfo;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendRegistryTest {
    private record FakeProvider(String name, int priority, Availability probe) implements BackendProvider {
        @Override
        public Backend create(BackendOptions options) {
            throw new UnsupportedOperationException("not used by these tests");
        }
    }

    private static final FakeProvider CPU = new FakeProvider("cpu", 100, Availability.available("4 cores", List.of(new DeviceInfo("cpu", "test cpu", 1L << 30))));
    private static final FakeProvider GPU = new FakeProvider("gpu", 200, Availability.unavailable("no device found"));
    private static final FakeProvider SLOW = new FakeProvider("slow", 10, Availability.available("always", List.of(new DeviceInfo("slow", "slow device", 1L << 20))));

    @AfterEach
    void clearProperty() {
        System.clearProperty(BackendRegistry.PROPERTY);
    }

    @Test
    void withoutANameTheAvailableProviderWithHighestPriorityWins() {
        BackendRegistry registry = BackendRegistry.of(List.of(SLOW, GPU, CPU), Map.of());
        assertEquals("cpu", registry.select(null).name());
        assertEquals(List.of("gpu", "cpu", "slow"), registry.probeAll().stream().map(BackendRegistry.ProbedProvider::name).toList());
    }

    @Test
    void explicitNameBeatsPropertyWhichBeatsEnvironment() {
        BackendRegistry registry = BackendRegistry.of(List.of(SLOW, CPU), Map.of(BackendRegistry.ENV, "cpu"));
        assertEquals("cpu", registry.select(null).name());
        System.setProperty(BackendRegistry.PROPERTY, "slow");
        assertEquals("slow", registry.select(null).name());
        assertEquals("cpu", registry.select("CPU").name());
    }

    /** A provider whose probe must not run (it would start a device runtime). */
    private static final BackendProvider MUST_NOT_PROBE = new BackendProvider() {
        @Override
        public String name() {
            return "device";
        }

        @Override
        public int priority() {
            return 300;
        }

        @Override
        public Availability probe() {
            throw new AssertionError("the named backend's selection probed another provider");
        }

        @Override
        public Backend create(BackendOptions options) {
            throw new UnsupportedOperationException("not used by these tests");
        }
    };

    @Test
    void aNamedBackendIsSelectedWithoutProbingTheOthers() {
        BackendRegistry registry = BackendRegistry.of(List.of(MUST_NOT_PROBE, CPU), Map.of());
        assertEquals("cpu", registry.select("cpu").name());
        System.setProperty(BackendRegistry.PROPERTY, "cpu");
        assertEquals("cpu", registry.select(null).name());
    }

    @Test
    void unknownNameListsEveryProviderAndWhy() {
        BackendRegistry registry = BackendRegistry.of(List.of(CPU, GPU), Map.of());
        ModernBertException e = assertThrows(ModernBertException.class, () -> registry.select("tpu"));
        assertTrue(e.getMessage().contains("unknown backend 'tpu'"), e.getMessage());
        assertTrue(e.getMessage().contains("cpu (priority 100, available)"), e.getMessage());
        assertTrue(e.getMessage().contains("gpu (priority 200, unavailable: no device found)"), e.getMessage());
    }

    @Test
    void unavailableNameSaysWhy() {
        BackendRegistry registry = BackendRegistry.of(List.of(CPU, GPU), Map.of());
        ModernBertException e = assertThrows(ModernBertException.class, () -> registry.select("gpu"));
        assertTrue(e.getMessage().startsWith("backend 'gpu' is not available: no device found"), e.getMessage());
    }

    @Test
    void nothingAvailableAndNothingInstalledAreExplained() {
        assertTrue(assertThrows(ModernBertException.class, () -> BackendRegistry.of(List.of(GPU), Map.of()).select(null))
                .getMessage().contains("no backend is available"));
        assertTrue(assertThrows(ModernBertException.class, () -> BackendRegistry.of(List.of(), Map.of()).select(null))
                .getMessage().contains("no backend provider is installed"));
    }

    @Test
    void aProbeThatThrowsIsReportedNotPropagated() {
        BackendProvider silent = new FakeProvider("silent", 400, null);
        BackendProvider throwing = new BackendProvider() {
            public String name() { return "throwing"; }
            public int priority() { return 300; }
            public Availability probe() { throw new IllegalStateException("driver crashed"); }
            public Backend create(BackendOptions o) { throw new UnsupportedOperationException(); }
        };
        BackendRegistry registry = BackendRegistry.of(List.of(throwing, silent, CPU), Map.of());
        assertEquals("cpu", registry.select(null).name());
        assertEquals("probe returned nothing", registry.probeAll().get(0).availability().detail());
        assertTrue(registry.probeAll().get(1).availability().detail().contains("driver crashed"));
    }
}
