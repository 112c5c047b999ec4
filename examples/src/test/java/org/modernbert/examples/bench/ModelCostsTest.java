package org.modernbert.examples.bench;

import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.ModernBert;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FLOP and byte counts of {@code modernbert bench}, by hand on the bundled model (and the spreads). */
class ModelCostsTest {
    /** kjv-mbd-4m: vocab 4096, hidden 256, intermediate 384, 6 layers (full, sliding, sliding, ...), window 32, tied, BF16. */
    private static final Path KJV = Path.of("models/kjv-mbd-4m");

    @Test
    void prefillFlopsByHand() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJsonFile(KJV.resolve("config.json"));
        double h = 256;
        double linear = 4 * h * h + h * 2 * 384 + 384 * h;
        double head = h * h + h * 4096;
        // one token: one key per layer
        assertEquals(2 * 6 * linear + 6 * 4 * h * 1 + 2 * head, ModelCosts.prefillFlops(c, true, 1), 1e-3);
        assertEquals(2 * 6 * linear + 6 * 4 * h + 2 * h * 4096, ModelCosts.prefillFlops(c, false, 1), 1e-3);
        // 64 tokens: full layers see p+1 keys (2080 in all), sliding ones at most 32 (528 + 32 * 32 = 1552)
        double attention = 2 * 4 * h * 2080 + 4 * 4 * h * 1552;
        assertEquals(2 * 64 * 6 * linear + attention + 2 * head, ModelCosts.prefillFlops(c, true, 64), 1e-3);
    }

    @Test
    void weightBytesCountTheTiedEmbeddingOnce() {
        try (CausalLanguageModel bf16 = ModernBert.loadCausalLM(KJV, "cpu");
             CausalLanguageModel q8 = ModernBert.loadCausalLM(KJV, "cpu", BackendOptions.defaults().withQuantize(WeightFormat.Q8_0))) {
            long matrices = 4096L * 256 + 6L * (4 * 256 * 256 + 3 * 256 * 384) + 256L * 256; // embeddings (= LM head), layers, head dense
            ModelWeights w = bf16.executor().weights();
            assertTrue(ModelCosts.tiedEmbeddings(w));
            assertEquals("bf16", ModelCosts.weightFormat(w));
            long small = ModelCosts.tensors(w).stream().filter(t -> t.rank() == 1).mapToLong(t -> t.data().byteSize()).sum();
            assertEquals(2 * matrices + small, ModelCosts.weightBytesPerToken(w));
            ModelWeights q = q8.executor().weights();
            assertEquals("q8_0", ModelCosts.weightFormat(q));
            assertEquals(matrices / 32 * 34 + small, ModelCosts.weightBytesPerToken(q));
        }
    }

    @Test
    void spreads() {
        assertEquals(new Spread(2, 1, 3), Spread.of(3, 1, 2));
        assertEquals(new Spread(2.5, 1, 4), Spread.of(4, 1, 3, 2));
        assertEquals(new Spread(50, 25, 100), Spread.of(new double[]{0.5, 1, 2}, s -> 50 / s));
    }

    @Test
    void cacheSizes() {
        assertEquals(32L << 20, SystemInfo.parseSize("32768K"));
        assertEquals(32L << 20, SystemInfo.parseSize("32M"));
        assertEquals(1024, SystemInfo.parseSize("1024"));
        assertEquals(0, SystemInfo.parseSize("x"));
        long buffer = MachinePeaks.bandwidthBufferBytes();
        assertTrue(buffer >= 64L << 20 && buffer <= 1L << 30, "buffer " + buffer);
    }
}
