package org.modernbert.backend.tornado;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.DeviceInfo;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void tornadoVmsSizeUnitsAreRead() {
        assertEquals(4L << 30, TornadoModelExecutor.parseSize("4GB"));
        assertEquals(512L << 20, TornadoModelExecutor.parseSize("512MB"));
        assertEquals(64L << 10, TornadoModelExecutor.parseSize("64KB"));
        assertEquals(2L << 40, TornadoModelExecutor.parseSize("2TB"));
        assertEquals(1000, TornadoModelExecutor.parseSize("1000B"));
        assertEquals(123456, TornadoModelExecutor.parseSize("123456"));
        assertEquals(-1, TornadoModelExecutor.parseSize("4G"));
        assertEquals(-1, TornadoModelExecutor.parseSize("GB"));
    }

    @Test
    void aHeapSettingThatIsNotASizeIsAnErrorNotASkippedCheck() {
        ModernBertException e = assertThrows(ModernBertException.class, () -> TornadoModelExecutor.checkMemory(1L << 20, GPU, "4G"));
        assertEquals("tornado.device.memory=4G is not a size this backend can check against; write it as TornadoVM documents it,"
                + " e.g. 4GB or 512MB", e.getMessage());
    }
}
