package org.modernbert.backend.cpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.Activation;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prompts of the model's whole context (8192 positions) through the executor (attention keeps
 * O(window) keys on sliding layers and no [queries x keys] matrix): the result matches the float64
 * reference (2048 tokens) and a chunked prefill of the same tokens (8192).
 */
class LongPromptTest {
    private static Arena arena;
    private static CpuBackend backend;

    @BeforeAll
    static void setUp() {
        arena = Arena.ofShared();
        backend = new CpuBackend(BackendOptions.defaults().withThreads(2));
    }

    @AfterAll
    static void tearDown() {
        backend.close();
        arena.close();
    }

    /** hidden 32 (2 heads of 16), 4 layers (0 and 3 full), window 128, 8192 positions. */
    private static ModelWeights model() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.builder()
                .vocabSize(97).hiddenSize(32).numAttentionHeads(2).intermediateSize(48).numHiddenLayers(4)
                .maxPositionEmbeddings(8192).localAttention(256).globalAttnEveryNLayers(3)
                .globalRopeTheta(160000).localRopeTheta(10000)
                .padTokenId(0).eosTokenId(1).bosTokenId(2).clsTokenId(2).sepTokenId(1)
                .hiddenActivation(Activation.GELU).classifierActivation(Activation.GELU)
                .build();
        return TestModels.randomModel(c, WeightFormat.F32, 21, arena);
    }

    private static int[] tokens(int n, long seed) {
        return new Random(seed).ints(n, 0, 97).toArray();
    }

    private static float[] logits(ModelExecutor ex, KvCache cache, int[] ids, Head head) {
        List<SequenceOutput> out = ex.step(List.of(SequenceInput.tokens(cache, ids).withHead(head)));
        return out.get(0).logits();
    }

    @Test
    void prefillOf2048MatchesFloat64Reference() {
        ModelWeights w = model();
        int[] ids = tokens(2048, 1);
        try (ModelExecutor ex = backend.load(w); KvCache cache = ex.newCache(2048)) {
            float[] got = logits(ex, cache, ids, Head.ALL);
            double[][] ref = new ReferenceModel(w).logits(ids);
            double worst = 0;
            for (int t = 0; t < ids.length; t++) {
                for (int j = 0; j < 97; j++) {
                    double e = ref[t][j];
                    double err = Math.abs(got[t * 97 + j] - e);
                    assertTrue(err <= 1e-3 + 1e-4 * Math.abs(e), "logit [" + t + "][" + j + "]: " + got[t * 97 + j] + " vs " + e);
                    worst = Math.max(worst, err);
                }
            }
            System.out.println("2048-token prefill: max |logit - float64| = " + worst);
        }
    }

    @Test
    void prefillOf8192RunsInLinearMemoryAndEqualsChunkedPrefill() {
        ModelWeights w = model();
        int n = 8192;
        int[] ids = tokens(n, 2);
        try (ModelExecutor ex = backend.load(w); KvCache one = ex.newCache(n); KvCache chunked = ex.newCache(n)) {
            long start = System.nanoTime();
            float[] full = logits(ex, one, ids, Head.LAST);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(n, one.length());
            for (float f : full) {
                assertTrue(Float.isFinite(f));
            }
            logits(ex, chunked, Arrays.copyOfRange(ids, 0, 5000), Head.NONE);
            logits(ex, chunked, Arrays.copyOfRange(ids, 5000, n - 1), Head.NONE);
            float[] last = logits(ex, chunked, new int[]{ids[n - 1]}, Head.LAST);
            for (int j = 0; j < full.length; j++) {
                assertTrue(Math.abs(full[j] - last[j]) <= 1e-4 * (1 + Math.abs(full[j])), "logit " + j + ": " + full[j] + " vs " + last[j]);
            }
            // for scale: a [queries x keys] float matrix of the 2 heads would be 2 x 8192^2 x 4 bytes = 512 MiB
            System.out.println("8192-token prefill: " + ms + " ms, cache " + (one.byteSize() >> 10) + " KiB");
            assertTrue(one.byteSize() <= ex.cacheBytes(org.modernbert.api.backend.CacheSpec.of(n)));
        }
    }
}
