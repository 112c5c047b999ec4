package org.modernbert.backend.tornado;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.ModernBert;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the conformance kit does not cover: the KV pool's bound (skipped without TornadoVM). */
class TornadoExecutorTest {
    private static final String POOL = "modernbert.tornado.cachePositions";

    @BeforeEach
    void device() {
        assumeTrue(System.getenv("TORNADO_SDK") != null && System.getProperty(TornadoBackendProvider.RUNTIME_PROPERTY) != null,
                "TORNADO_SDK is not set: these tests need a TornadoVM device (see ../shared/tornadovm/setup.sh)");
    }

    @AfterEach
    void restore() {
        System.clearProperty(POOL);
    }

    @Test
    void theKvPoolBoundsTheCachesAliveAtOnce() {
        System.setProperty(POOL, "600");
        try (DecoderModel model = ModernBert.load(ReferenceFixtures.modelDir("tiny-mbd"), "tornado")) {
            ModelExecutor ex = model.executor();
            KvCache first = ex.newCache(512);
            ModernBertException e = assertThrows(ModernBertException.class, () -> ex.newCache(512));
            assertTrue(e.getMessage().startsWith("the device KV pool has no free range of 512 positions (512 of 600 in use)"), e.getMessage());
            first.close();
            try (KvCache again = ex.newCache(512); KvCache small = ex.newCache(80)) {
                assertTrue(again.maxLength() == 512 && small.maxLength() == 80);
            }
        }
    }
}
