package org.modernbert.backend.cpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The executor on small random models (window 4, two sliding layers) against the float64
 * {@link ReferenceModel}, and against itself: decode token by token, chunked prefill, batched
 * sequences and one-shot prefill must all agree.
 */
class CpuModelExecutorTest {
    private static final int LONG = 23; // > 5 windows of 4
    private static Arena arena;
    private static CpuBackend backend;

    @BeforeAll
    static void setUp() {
        arena = Arena.ofShared();
        backend = new CpuBackend(BackendOptions.defaults().withThreads(3));
    }

    @AfterAll
    static void tearDown() {
        backend.close();
        arena.close();
    }

    private static ModelWeights model(WeightFormat dtype, boolean biases) {
        return TestModels.randomModel(TestModels.config(biases), dtype, 11 + dtype.ordinal(), arena);
    }

    private static int[] tokens(int n, long seed, int vocab) {
        Random rnd = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rnd.nextInt(vocab);
        }
        return ids;
    }

    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"F32", "BF16"})
    void prefillMatchesFloat64Reference(WeightFormat dtype) {
        for (boolean biases : new boolean[]{false, true}) {
            ModelWeights w = model(dtype, biases);
            ReferenceModel ref = new ReferenceModel(w);
            try (ModelExecutor ex = backend.load(w); KvCache cache = ex.newCache(LONG)) {
                int[] ids = tokens(LONG, 1, w.config().vocabSize());
                List<SequenceOutput> r = step(ex, List.of(SequenceInput.tokens(cache, ids)), true, Head.ALL);
                assertClose(ref.hidden(ids), r.get(0).lastHiddenState(), 2e-4, dtype + " hidden, biases " + biases);
                assertClose(ref.logits(ids), r.get(0).logits(), 2e-4, dtype + " logits, biases " + biases);
                assertEquals(LONG, cache.length());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"F32", "BF16"})
    void decodeTokenByTokenEqualsOnePrefill(WeightFormat dtype) {
        ModelWeights w = model(dtype, true);
        try (ModelExecutor ex = backend.load(w); KvCache a = ex.newCache(LONG); KvCache b = ex.newCache(LONG)) {
            int[] ids = tokens(LONG, 2, w.config().vocabSize());
            List<SequenceOutput> full = step(ex, List.of(SequenceInput.tokens(a, ids)), true, Head.ALL);
            int vocab = w.config().vocabSize();
            int hidden = w.config().hiddenSize();
            for (int t = 0; t < LONG; t++) {
                List<SequenceOutput> one = step(ex, List.of(SequenceInput.tokens(b, new int[]{ids[t]})), true, Head.LAST);
                assertSlice(full.get(0).lastHiddenState(), t * hidden, one.get(0).lastHiddenState(), "hidden at " + t);
                assertSlice(full.get(0).logits(), t * vocab, one.get(0).logits(), "logits at " + t);
            }
            assertEquals(LONG, b.length());
            CpuKvCache cpu = (CpuKvCache) b;
            for (int l = 0; l < w.config().numHiddenLayers(); l++) {
                int expected = w.config().layerType(l).name().startsWith("SLIDING") ? w.config().slidingWindow() : LONG;
                assertTrue(cpu.slotCount(l) <= Math.max(expected, 64), "layer " + l + " holds " + cpu.slotCount(l) + " slots");
                if (expected == w.config().slidingWindow()) {
                    assertEquals(expected, cpu.slotCount(l), "a sliding layer keeps exactly the window");
                }
            }
        }
    }

    @Test
    void chunkedPrefillLongerThanTheWindowEqualsOnePrefill() {
        ModelWeights w = model(WeightFormat.F32, true);
        int vocab = w.config().vocabSize();
        int[] ids = tokens(LONG, 3, vocab);
        try (ModelExecutor ex = backend.load(w); KvCache a = ex.newCache(LONG); KvCache b = ex.newCache(LONG)) {
            float[] full = step(ex, List.of(SequenceInput.tokens(a, ids)), false, Head.ALL).get(0).logits();
            int[] chunks = {3, 9, 1, 6, 4}; // 9 > 2 windows: in-step keys plus ring keys in one pass
            int pos = 0;
            for (int c : chunks) {
                int[] part = java.util.Arrays.copyOfRange(ids, pos, pos + c);
                float[] logits = step(ex, List.of(SequenceInput.tokens(b, part)), false, Head.ALL).get(0).logits();
                for (int t = 0; t < c; t++) {
                    assertSlice(full, (pos + t) * vocab, java.util.Arrays.copyOfRange(logits, t * vocab, (t + 1) * vocab),
                            "position " + (pos + t));
                }
                pos += c;
            }
            assertEquals(LONG, pos);
        }
    }

    @Test
    void raggedMultiSequenceStepEqualsSeparateSteps() {
        ModelWeights w = model(WeightFormat.BF16, true);
        int vocab = w.config().vocabSize();
        int hidden = w.config().hiddenSize();
        int[][] prompts = {tokens(7, 4, vocab), tokens(1, 5, vocab), tokens(LONG - 2, 6, vocab), tokens(4, 7, vocab)};
        try (ModelExecutor ex = backend.load(w)) {
            List<KvCache> together = new ArrayList<>();
            List<SequenceInput> steps = new ArrayList<>();
            for (int[] p : prompts) {
                KvCache c = ex.newCache(LONG);
                together.add(c);
                steps.add(SequenceInput.tokens(c, p));
            }
            List<SequenceOutput> batched = step(ex, steps, true, Head.ALL);
            for (int s = 0; s < prompts.length; s++) {
                try (KvCache alone = ex.newCache(LONG)) {
                    List<SequenceOutput> r = step(ex, List.of(SequenceInput.tokens(alone, prompts[s])), true, Head.ALL);
                    assertSlice(r.get(0).lastHiddenState(), 0, batched.get(s).lastHiddenState(), "hidden of sequence " + s);
                    assertSlice(r.get(0).logits(), 0, batched.get(s).logits(), "logits of sequence " + s);
                    assertEquals(prompts[s].length * hidden, batched.get(s).lastHiddenState().length);
                }
            }
            // then decode all of them together, one token each, against LAST of the separate runs
            List<SequenceInput> next = new ArrayList<>();
            for (int s = 0; s < prompts.length; s++) {
                next.add(SequenceInput.tokens(together.get(s), new int[]{s + 5}));
            }
            List<SequenceOutput> decoded = step(ex, next, false, Head.LAST);
            for (int s = 0; s < prompts.length; s++) {
                assertNull(decoded.get(s).lastHiddenState());
                int[] all = java.util.Arrays.copyOf(prompts[s], prompts[s].length + 1);
                all[prompts[s].length] = s + 5;
                try (KvCache alone = ex.newCache(LONG)) {
                    float[] logits = step(ex, List.of(SequenceInput.tokens(alone, all)), false, Head.LAST).get(0).logits();
                    assertEquals(vocab, logits.length);
                    assertSlice(logits, 0, decoded.get(s).logits(), "decoded logits of sequence " + s);
                }
                together.get(s).close();
            }
        }
    }

    @Test
    void singleThreadBackendGivesTheSameResults() {
        ModelWeights w = model(WeightFormat.F32, false);
        int[] ids = tokens(LONG, 8, w.config().vocabSize());
        // the 3-thread executor splits every region, however small, so each parallel path runs
        try (CpuBackend one = new CpuBackend(BackendOptions.defaults().withThreads(1)); WorkerPool three = new WorkerPool(3);
             ModelExecutor a = one.load(w); ModelExecutor b = new CpuModelExecutor(w, three, 0);
             KvCache ca = a.newCache(LONG + 5); KvCache cb = b.newCache(LONG + 5)) {
            float[] la = step(a, List.of(SequenceInput.tokens(ca, ids)), false, Head.ALL).get(0).logits();
            float[] lb = step(b, List.of(SequenceInput.tokens(cb, ids)), false, Head.ALL).get(0).logits();
            assertSlice(la, 0, lb, "1 thread vs 3 threads");
            // decode steps too (single-token regions, attention over the cache)
            int[] next = tokens(5, 9, w.config().vocabSize());
            for (int id : next) {
                float[] da = step(a, List.of(SequenceInput.tokens(ca, new int[] {id})), false, Head.LAST).get(0).logits();
                float[] db = step(b, List.of(SequenceInput.tokens(cb, new int[] {id})), false, Head.LAST).get(0).logits();
                assertSlice(da, 0, db, "decode, 1 thread vs 3 threads");
            }
        }
    }

    @Test
    void resultsAreBitIdenticalBeforeAndAfterJitWarmUp() {
        // lane sums use a fixed order, so the interpreter and compiled code round the same way
        ModelWeights w = model(WeightFormat.BF16, true);
        int[] ids = tokens(LONG, 12, w.config().vocabSize());
        try (ModelExecutor ex = backend.load(w); KvCache c = ex.newCache(LONG)) {
            float[] first = step(ex, List.of(SequenceInput.tokens(c, ids)), true, Head.ALL).get(0).logits();
            for (int i = 0; i < 300; i++) {
                c.clear();
                float[] again = step(ex, List.of(SequenceInput.tokens(c, ids)), true, Head.ALL).get(0).logits();
                org.junit.jupiter.api.Assertions.assertArrayEquals(first, again, "run " + i);
            }
        }
    }

    @Test
    void clearedCacheStartsOver() {
        ModelWeights w = model(WeightFormat.F32, false);
        int[] ids = tokens(9, 9, w.config().vocabSize());
        try (ModelExecutor ex = backend.load(w); KvCache c = ex.newCache(LONG)) {
            float[] first = step(ex, List.of(SequenceInput.tokens(c, ids)), false, Head.LAST).get(0).logits();
            c.clear();
            assertEquals(0, c.length());
            float[] again = step(ex, List.of(SequenceInput.tokens(c, ids)), false, Head.LAST).get(0).logits();
            assertSlice(first, 0, again, "after clear");
        }
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        ModelWeights w = model(WeightFormat.F32, false);
        try (ModelExecutor ex = backend.load(w); KvCache c = ex.newCache(8); KvCache d = ex.newCache(8)) {
            ModernBertException e = assertThrows(ModernBertException.class,
                    () -> step(ex, List.of(SequenceInput.tokens(d, new int[]{1}), SequenceInput.tokens(c, new int[]{3, 97})), false, Head.ALL));
            assertEquals("sequence 1, new token 1 (position 1): token id 97 is outside the vocabulary [0, 97)", e.getMessage());
            e = assertThrows(ModernBertException.class, () -> step(ex, List.of(SequenceInput.tokens(c, new int[]{-1})), false, Head.ALL));
            assertTrue(e.getMessage().contains("token id -1"), e.getMessage());
            assertEquals(0, c.length(), "a rejected step leaves the cache alone");
            assertEquals(0, d.length(), "a rejected step leaves every cache alone");

            step(ex, List.of(SequenceInput.tokens(c, new int[]{1, 2, 3, 4, 5})), false, Head.NONE);
            e = assertThrows(ModernBertException.class, () -> step(ex, List.of(SequenceInput.tokens(c, new int[]{1, 2, 3, 4})), false, Head.NONE));
            assertEquals("sequence 0 would reach 9 positions but its cache holds at most 8", e.getMessage());

            e = assertThrows(ModernBertException.class,
                    () -> step(ex, List.of(SequenceInput.tokens(d, new int[]{1}), SequenceInput.tokens(d, new int[]{2})), false, Head.NONE));
            assertTrue(e.getMessage().contains("share one KV cache"), e.getMessage());

            e = assertThrows(ModernBertException.class, () -> ex.newCache(65));
            assertTrue(e.getMessage().contains("max_position_embeddings = 64"), e.getMessage());

            try (ModelExecutor other = backend.load(w)) {
                e = assertThrows(ModernBertException.class, () -> step(other, List.of(SequenceInput.tokens(c, new int[]{1})), false, Head.NONE));
                assertTrue(e.getMessage().contains("not made by this CPU executor"), e.getMessage());
            }
            KvCache closedCache = ex.newCache(8);
            closedCache.close();
            e = assertThrows(ModernBertException.class, () -> step(ex, List.of(SequenceInput.tokens(closedCache, new int[]{1})), false, Head.NONE));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void headlessWeightsRefuseAHeadButGiveHiddenStates() {
        ModelWeights w = model(WeightFormat.F32, false);
        ModelWeights base = new ModelWeights(w.config(), w.tokenEmbeddings(), w.embeddingNorm(), w.embeddingNormBias(),
                w.layers(), w.finalNorm(), w.finalNormBias(), null);
        int[] ids = tokens(6, 10, w.config().vocabSize());
        try (ModelExecutor ex = backend.load(base); KvCache c = ex.newCache(8)) {
            ModernBertException e = assertThrows(ModernBertException.class, () -> step(ex, List.of(SequenceInput.tokens(c, ids)), true, Head.LAST));
            assertTrue(e.getMessage().contains("no head"), e.getMessage());
            List<SequenceOutput> r = step(ex, List.of(SequenceInput.tokens(c, ids)), true, Head.NONE);
            assertClose(new ReferenceModel(w).hidden(ids), r.get(0).lastHiddenState(), 2e-4, "base model hidden");
            assertNull(r.get(0).logits());
        }
    }

    @Test
    void wrongTensorShapeIsNamed() {
        ModernBertDecoderConfig c = TestModels.config(false);
        ModelWeights w = model(WeightFormat.F32, false);
        ModernBertDecoderConfig bigger = ModernBertDecoderConfig.builder()
                .vocabSize(c.vocabSize()).hiddenSize(c.hiddenSize()).numAttentionHeads(c.numAttentionHeads())
                .intermediateSize(c.intermediateSize() + 2).numHiddenLayers(c.numHiddenLayers())
                .maxPositionEmbeddings(64).localAttention(8).globalAttnEveryNLayers(3)
                .padTokenId(0).eosTokenId(1).bosTokenId(2).clsTokenId(2).sepTokenId(1).build();
        ModelWeights bad = new ModelWeights(bigger, w.tokenEmbeddings(), w.embeddingNorm(), null, w.layers(), w.finalNorm(), null, w.head());
        ModernBertException e = assertThrows(ModernBertException.class, () -> backend.load(bad));
        assertEquals("tensor layers.0.mlp.Wi.weight (linear weight) has shape [80, 36], expected [84, 36]", e.getMessage());
    }

    @Test
    void closedExecutorOrBackendRefusesSteps() {
        ModelWeights w = model(WeightFormat.F32, false);
        CpuBackend own = new CpuBackend(BackendOptions.defaults().withThreads(2));
        ModelExecutor ex = own.load(w);
        KvCache c = ex.newCache(4);
        own.close();
        ModernBertException e = assertThrows(ModernBertException.class, () -> step(ex, List.of(SequenceInput.tokens(c, new int[]{1})), false, Head.LAST));
        assertEquals("the CPU backend that loaded this model is closed", e.getMessage());
        ex.close();
        e = assertThrows(ModernBertException.class, () -> ex.newCache(4));
        assertEquals("this CPU model executor is closed", e.getMessage());
    }

    @Test
    void weightsInAConfinedArenaAreRefusedUpFront() {
        try (Arena confined = Arena.ofConfined()) {
            ModelWeights w = TestModels.randomModel(TestModels.config(false), WeightFormat.F32, 1, confined);
            ModernBertException e = assertThrows(ModernBertException.class, () -> backend.load(w));
            assertTrue(e.getMessage().contains("confined"), e.getMessage());
        }
    }

    @Test
    void formatsTheKernelsDoNotRunAreRefused() {
        ModelWeights w = TestModels.randomModel(TestModels.config(false), WeightFormat.F16, 3, arena);
        ModernBertException e = assertThrows(ModernBertException.class, () -> backend.load(w));
        assertTrue(e.getMessage().contains("F16") && e.getMessage().contains("does not execute"), e.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    /** One step with the same head mode for every sequence, returning final hidden states where asked. */
    private static List<SequenceOutput> step(ModelExecutor ex, List<SequenceInput> inputs, boolean hidden, Head head) {
        List<SequenceInput> with = new ArrayList<>(inputs.size());
        for (SequenceInput in : inputs) {
            with.add(in.withHead(head).withLastHiddenState(hidden));
        }
        return ex.step(with);
    }

    /** |a - b| <= tol * (1 + |b|): float32 compute against the float64 reference. */
    private static void assertClose(double[][] expected, float[] actual, double tol, String what) {
        int cols = expected[0].length;
        assertEquals(expected.length * cols, actual.length, what + ": size");
        double worst = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int j = 0; j < cols; j++) {
                double e = expected[t][j];
                double a = actual[t * cols + j];
                assertTrue(Math.abs(a - e) <= tol * (1 + Math.abs(e)), what + " at [" + t + "][" + j + "]: " + a + " vs " + e);
                worst = Math.max(worst, Math.abs(a - e));
            }
        }
        assertTrue(worst < tol * 10, what);
    }

    /** Two float32 paths (different tilings / summation orders) agree to float rounding. */
    private static void assertSlice(float[] full, int offset, float[] part, String what) {
        for (int i = 0; i < part.length; i++) {
            float e = full[offset + i];
            assertEquals(e, part[i], 2e-5 * (1 + Math.abs(e)), what + " [" + i + "]");
        }
    }
}
