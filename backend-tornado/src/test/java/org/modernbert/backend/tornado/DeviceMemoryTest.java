package org.modernbert.backend.tornado;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.DeviceInfo;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load-time memory check (plain Java: a test cannot lower TornadoVM's device heap for one model,
 * since TornadoVM reads tornado.device.memory once per JVM).
 */
class DeviceMemoryTest {
    private static final DeviceInfo GPU = new DeviceInfo("tornado:0:1", "some GPU", 8L << 30);

    @Test
    void aModelLargerThanTheDeviceIsRefusedWithTheNumbers() {
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> TornadoModelExecutor.checkMemory(9L << 30, GPU, "16GB"));
        assertTrue(e.getMessage().startsWith("the model needs about 9216 MB on tornado:0:1 (weights, KV pools, activations) but the device has 8192 MB"),
                e.getMessage());
    }

    @Test
    void aModelLargerThanTornadoVmsHeapSaysWhichFlagToRaise() {
        ModernBertException e = assertThrows(ModernBertException.class, () -> TornadoModelExecutor.checkMemory(5L << 30, GPU, "4GB"));
        assertTrue(e.getMessage().equals("the model needs about 5120 MB on the device but TornadoVM reserves 4GB (tornado.device.memory);"
                + " run with -Dtornado.device.memory=6GB"), e.getMessage());
        assertDoesNotThrow(() -> TornadoModelExecutor.checkMemory(5L << 30, GPU, "6gb"));
        assertDoesNotThrow(() -> TornadoModelExecutor.checkMemory(100L << 20, GPU, "512MB"));
    }
}
