package org.modernbert.core.generation;

import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.Head;
import org.modernbert.api.ModernBertException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeneratorTest {
    private static final int VOCAB = 16;

    /** next = (last * 3 + 1) mod 16: greedy output is predictable by hand. */
    private static ScriptedExecutor counting() {
        return ScriptedExecutor.pointing(VOCAB, h -> (h[h.length - 1] * 3 + 1) % VOCAB);
    }

    private static GenerationConfig.Builder greedy(int maxNew) {
        return GenerationConfig.builder().maxNewTokens(maxNew);
    }

    @Test
    void greedyFollowsTheScriptAndStopsAtLength() {
        ScriptedExecutor ex = counting();
        Generator g = new Generator(ex, VOCAB, 64, null);
        GenerationResult r = g.generate(List.<int[]>of(new int[]{2, 3}), greedy(4).build());
        GeneratedSequence s = r.sequences().getFirst();
        // 3 -> 10 -> 31%16=15 -> 46%16=14 -> 43%16=11
        assertArrayEquals(new int[]{10, 15, 14, 11}, s.newIds());
        assertEquals(FinishReason.LENGTH, s.finishReason());
        assertNull(s.generatedText());
        assertEquals(2, r.promptTokens());
        assertEquals(4, r.generatedTokens());
        // Prefill once with the whole prompt, then one step per further token.
        assertEquals(List.of(1, 1, 1, 1), ex.batchSizes);
        assertTrue(ex.caches.stream().allMatch(c -> c.closed), "caches are closed after generation");
        assertEquals(6, ex.caches.getFirst().maxLength);
    }

    @Test
    void maxLengthCountsThePromptAndDefaultsToTwenty() {
        Generator g = new Generator(counting(), VOCAB, 64, null);
        int[] prompt = {1, 2, 3};
        assertEquals(17, g.generate(List.of(prompt), GenerationConfig.defaults()).sequences().getFirst().newIds().length);
        assertEquals(5, g.generate(List.of(prompt), GenerationConfig.builder().maxLength(8).build())
                .sequences().getFirst().newIds().length);
        // max_new_tokens wins over max_length.
        assertEquals(2, g.generate(List.of(prompt), GenerationConfig.builder().maxLength(8).maxNewTokens(2).build())
                .sequences().getFirst().newIds().length);
        // A prompt already at max_length is an error, as transformers' ValueError; max_new_tokens lifts it.
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> g.generate(List.of(prompt), GenerationConfig.builder().maxLength(3).build()));
        assertTrue(e.getMessage().contains("3 tokens") && e.getMessage().contains("max_length is 3"), e.getMessage());
        ModernBertException byDefault = assertThrows(ModernBertException.class,
                () -> g.generate(List.of(new int[20]), GenerationConfig.defaults()));
        assertTrue(byDefault.getMessage().contains("max_length is 20 (the default)"), byDefault.getMessage());
        assertEquals(1, g.generate(List.of(new int[20]), GenerationConfig.builder().maxNewTokens(1).build())
                .sequences().getFirst().newIds().length);
    }

    @Test
    void stopsAtEosSingleAndList() {
        // 3 -> 10 -> 15 -> 14 -> 11
        Generator g = new Generator(counting(), VOCAB, 64, null);
        GeneratedSequence single = g.generate(List.<int[]>of(new int[]{3}), greedy(10).eosTokenId(14).build()).sequences().getFirst();
        assertArrayEquals(new int[]{10, 15, 14}, single.newIds());
        assertEquals(FinishReason.EOS, single.finishReason());
        GeneratedSequence list = g.generate(List.<int[]>of(new int[]{3}), greedy(10).eosTokenIds(List.of(11, 15)).build())
                .sequences().getFirst();
        assertArrayEquals(new int[]{10, 15}, list.newIds());
        assertEquals(FinishReason.EOS, list.finishReason());
    }

    @Test
    void minNewTokensSuppressesEosUntilReached() {
        // The script always prefers eos (1) and ranks token 5 second.
        ScriptedExecutor ex = new ScriptedExecutor(h -> {
            float[] l = new float[VOCAB];
            l[1] = 5f;
            l[5] = 4f;
            return l;
        });
        Generator g = new Generator(ex, VOCAB, 64, null);
        GeneratedSequence s = g.generate(List.<int[]>of(new int[]{0}), greedy(10).eosTokenId(1).minNewTokens(3).build())
                .sequences().getFirst();
        assertArrayEquals(new int[]{5, 5, 5, 1}, s.newIds());
        assertEquals(FinishReason.EOS, s.finishReason());
    }

    @Test
    void stopStringSpanningSeveralTokensKeepsTheCompletingTokens() {
        PieceTokenizer tok = new PieceTokenizer("a", "b", "c", "St", "o", "p", " ");
        int st = tok.id("St");
        int o = tok.id("o");
        int p = tok.id("p");
        int a = tok.id("a");
        // Emits "a St o p a a ...".
        int[] script = {a, tok.id(" "), st, o, p, a, a, a, a, a, a, a};
        ScriptedExecutor ex = ScriptedExecutor.pointing(tok.vocabSize(), h -> script[h.length - 1]);
        Generator g = new Generator(ex, tok.vocabSize(), 64, tok);
        GeneratedSequence s = g.generate(List.<int[]>of(new int[]{0}), greedy(10).stopStrings(List.of("Stop")).build())
                .sequences().getFirst();
        assertEquals(FinishReason.STOP_STRING, s.finishReason());
        assertArrayEquals(new int[]{a, tok.id(" "), st, o, p}, s.newIds());
        assertEquals("a Stop", s.generatedText());
        // A stop string inside one token that also carries more text matches too.
        PieceTokenizer tok2 = new PieceTokenizer("x", "ENDx");
        ScriptedExecutor ex2 = ScriptedExecutor.pointing(tok2.vocabSize(), h -> h.length < 3 ? tok2.id("x") : tok2.id("ENDx"));
        GeneratedSequence s2 = new Generator(ex2, tok2.vocabSize(), 64, tok2)
                .generate(List.<int[]>of(new int[]{0}), greedy(10).stopStrings(List.of("END")).build()).sequences().getFirst();
        assertEquals("xxENDx", s2.generatedText());
        assertEquals(FinishReason.STOP_STRING, s2.finishReason());
    }

    @Test
    void stopStringsNeedATokenizer() {
        Generator g = new Generator(counting(), VOCAB, 64, null);
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> g.generate(List.<int[]>of(new int[]{3}), greedy(3).stopStrings(List.of("x")).build()));
        assertTrue(e.getMessage().contains("stop_strings"), e.getMessage());
    }

    @Test
    void maxTimeStopsAllSequences() {
        ScriptedExecutor ex = counting();
        ex.sleepNanosPerStep = 30_000_000;
        Generator g = new Generator(ex, VOCAB, 1000, null);
        GenerationResult r = g.generate(List.of(new int[]{3}, new int[]{4, 5}),
                greedy(500).maxTime(0.1).build());
        for (GeneratedSequence s : r.sequences()) {
            assertEquals(FinishReason.MAX_TIME, s.finishReason());
            assertTrue(s.newIds().length >= 1 && s.newIds().length < 500, "stopped early: " + s.newIds().length);
        }
    }

    @Test
    void cancellationFromTheStreamerStopsBeforeTheNextStep() {
        Generator g = new Generator(counting(), VOCAB, 64, null);
        GenerationControl control = new GenerationControl();
        List<Integer> streamed = new ArrayList<>();
        List<FinishReason> ends = new ArrayList<>();
        TokenStreamer streamer = new TokenStreamer() {
            @Override
            public void put(int sequence, int tokenId) {
                streamed.add(tokenId);
                if (streamed.size() == 3) {
                    control.cancel();
                }
            }

            @Override
            public void end(int sequence, FinishReason reason) {
                ends.add(reason);
            }
        };
        GeneratedSequence s = g.generate(List.<int[]>of(new int[]{3}), greedy(10).build(), streamer, control)
                .sequences().getFirst();
        assertArrayEquals(new int[]{10, 15, 14}, s.newIds());
        assertEquals(List.of(10, 15, 14), streamed);
        assertEquals(FinishReason.CANCELLED, s.finishReason());
        assertEquals(List.of(FinishReason.CANCELLED), ends);
    }

    @Test
    void raggedBatchEqualsOneByOneAndFinishedSequencesDropOut() {
        List<int[]> prompts = List.of(new int[]{3}, new int[]{7, 8, 9}, new int[]{2, 2});
        GenerationConfig cfg = greedy(6).eosTokenId(14).build();
        ScriptedExecutor ex = counting();
        GenerationResult batched = new Generator(ex, VOCAB, 64, null).generate(prompts, cfg);
        for (int p = 0; p < prompts.size(); p++) {
            GenerationResult alone = new Generator(counting(), VOCAB, 64, null).generate(List.of(prompts.get(p)), cfg);
            assertArrayEquals(alone.sequences().getFirst().newIds(), batched.sequences().get(p).newIds(), "prompt " + p);
            assertEquals(alone.sequences().getFirst().finishReason(), batched.sequences().get(p).finishReason());
            assertEquals(p, batched.sequences().get(p).promptIndex());
        }
        // Prompt 0 (3 -> 10, 15, 14=eos) leaves after 3 tokens; the step batches shrink accordingly.
        assertEquals(3, batched.sequences().getFirst().newIds().length);
        assertEquals(3, ex.batchSizes.get(0));
        assertEquals(2, ex.batchSizes.get(ex.batchSizes.size() - 1));
        assertEquals(1 + 3 + 2, batched.promptTokens());
    }

    @Test
    void promptPlusMaxNewTokensBeyondMaxPositionsIsAClearError() {
        Generator g = new Generator(counting(), VOCAB, 10, null);
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> g.generate(List.<int[]>of(new int[]{1, 2, 3, 4}), greedy(7).build()));
        assertTrue(e.getMessage().contains("4 tokens") && e.getMessage().contains("max_new_tokens is 7")
                && e.getMessage().contains("11 positions") && e.getMessage().contains("max_position_embeddings 10"), e.getMessage());
        ModernBertException bad = assertThrows(ModernBertException.class,
                () -> g.generate(List.<int[]>of(new int[]{1, 99}), greedy(2).build()));
        assertTrue(bad.getMessage().contains("id 99"), bad.getMessage());
    }

    /** Logits that make sampling interesting: a spread over all tokens depending on the history. */
    private static ScriptedExecutor spread() {
        return new ScriptedExecutor(h -> {
            float[] l = new float[VOCAB];
            int last = h[h.length - 1];
            for (int i = 0; i < VOCAB; i++) {
                l[i] = (float) Math.sin(i * 1.7 + last * 0.9 + h.length) * 2f;
            }
            return l;
        });
    }

    @Test
    void sameSeedSameOutputAndDifferentSeedsDiffer() {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(30).doSample(true).temperature(1.5).topK(0)
                .seed(42L).build();
        int[] a = new Generator(spread(), VOCAB, 64, null).generate(List.<int[]>of(new int[]{1}), cfg).sequences().getFirst().newIds();
        int[] b = new Generator(spread(), VOCAB, 64, null).generate(List.<int[]>of(new int[]{1}), cfg).sequences().getFirst().newIds();
        int[] c = new Generator(spread(), VOCAB, 64, null)
                .generate(List.<int[]>of(new int[]{1}), cfg.toBuilder().seed(43L).build()).sequences().getFirst().newIds();
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
        // Seeded copies of a prompt differ from each other, and a prompt samples the same alone or in a batch.
        GenerationConfig three = cfg.toBuilder().numReturnSequences(3).build();
        GenerationResult r = new Generator(spread(), VOCAB, 64, null).generate(List.of(new int[]{5, 6}, new int[]{1}), three);
        assertEquals(6, r.sequences().size());
        assertArrayEquals(a, r.sequences().get(3).newIds(), "copy 0 of prompt 1 equals the prompt alone");
        assertNotEquals(Arrays.toString(r.sequences().get(3).newIds()), Arrays.toString(r.sequences().get(4).newIds()));
    }

    @Test
    void aSeedPerPromptSamplesEachPromptAsItWouldAloneWithThatSeed() {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(20).doSample(true).temperature(1.5).topK(0).build();
        List<int[]> prompts = List.of(new int[]{5, 6}, new int[]{1}, new int[]{5, 6});
        long[] seeds = {7L, 8L, 9L};
        GenerationResult batch = new Generator(spread(), VOCAB, 64, null).generate(prompts, seeds, cfg, null, null);
        for (int p = 0; p < prompts.size(); p++) {
            int[] alone = new Generator(spread(), VOCAB, 64, null)
                    .generate(List.of(prompts.get(p)), cfg.toBuilder().seed(seeds[p]).build()).sequences().getFirst().newIds();
            assertArrayEquals(alone, batch.sequences().get(p).newIds(), "prompt " + p);
        }
        assertNotEquals(Arrays.toString(batch.sequences().get(0).newIds()), Arrays.toString(batch.sequences().get(2).newIds()),
                "the same prompt with two seeds");
        ModernBertException wrongCount = assertThrows(ModernBertException.class,
                () -> new Generator(spread(), VOCAB, 64, null).generate(prompts, new long[]{1L}, cfg, null, null));
        assertEquals("got 1 seeds for 3 prompts: give one per prompt", wrongCount.getMessage());
    }

    @Test
    void numReturnSequencesPrefillsThePromptOnceAndForksItsCache() {
        int[] prompt = {5, 6, 7, 8, 9};
        GenerationConfig four = GenerationConfig.builder().maxNewTokens(6).doSample(true).temperature(1.5).topK(0)
                .seed(3L).numReturnSequences(4).build();
        ScriptedExecutor ex = spread();
        GenerationResult r = new Generator(ex, VOCAB, 64, null).generate(List.of(prompt), four);
        assertEquals(4, r.sequences().size());
        assertEquals(prompt.length, ex.stepTokens.getFirst(), "the prompt is prefilled once, not once per copy");
        assertEquals(1, ex.batchSizes.getFirst());
        assertEquals(4, ex.batchSizes.get(1), "then the four copies decode together");
        assertEquals(4, ex.caches.size(), "one cache prefilled, three forks");
        assertTrue(ex.caches.stream().allMatch(c -> c.closed), "forks are closed too");
        // each copy continues its own cache: the same as generating it with a cache of its own
        assertNotEquals(Arrays.toString(r.sequences().get(0).newIds()), Arrays.toString(r.sequences().get(1).newIds()));
        for (ScriptedExecutor.FakeCache c : ex.caches) {
            assertEquals(prompt.length + 6 - 1, c.ids.length, "each copy fed its own tokens after the prompt");
        }
    }

    @Test
    void promptsSharingAPrefixPrefillItOnce() {
        List<int[]> prompts = List.of(new int[]{5, 6, 7, 8}, new int[]{5, 6, 7, 9, 10}, new int[]{5, 6, 7, 8});
        GenerationConfig cfg = greedy(5).build();
        ScriptedExecutor ex = counting();
        GenerationResult together = new Generator(ex, VOCAB, 64, null).generate(prompts, cfg);
        // prefix [5, 6, 7] once, then the two distinct suffixes [8] and [9, 10]; the repeated prompt forks
        assertEquals(List.of(3, 3), ex.stepTokens.subList(0, 2));
        assertEquals(List.of(1, 2), ex.batchSizes.subList(0, 2));
        for (int p = 0; p < prompts.size(); p++) {
            int[] alone = new Generator(counting(), VOCAB, 64, null).generate(List.of(prompts.get(p)), cfg)
                    .sequences().getFirst().newIds();
            assertArrayEquals(alone, together.sequences().get(p).newIds(), "prompt " + p);
        }
        assertEquals(4 + 5 + 4, together.promptTokens(), "prompt tokens count what the prompts hold");
        assertEquals(3 + 1 + 2, together.prefilledTokens(), "prefilled tokens count what was computed");
    }

    @Test
    void stepsStayWithinTheExecutorsLimits() {
        List<int[]> prompts = List.of(new int[]{1, 2, 3, 4, 5}, new int[]{9, 2}, new int[]{3, 4, 5, 6, 7, 8, 9}, new int[]{6});
        GenerationConfig cfg = greedy(5).build();
        GenerationResult free = new Generator(counting(), VOCAB, 64, null).generate(prompts, cfg);
        ScriptedExecutor small = counting();
        small.maxSequences = 2;
        small.maxTokens = 3;
        GenerationResult limited = new Generator(small, VOCAB, 64, null).generate(prompts, cfg);
        for (int p = 0; p < prompts.size(); p++) {
            assertArrayEquals(free.sequences().get(p).newIds(), limited.sequences().get(p).newIds(), "prompt " + p);
        }
        assertTrue(small.batchSizes.stream().allMatch(n -> n <= 2));
        assertTrue(small.stepTokens.stream().allMatch(n -> n <= 3));
    }

    @Test
    void greedyWithoutProcessorsAsksTheExecutorForTheArgmaxOnly() {
        ScriptedExecutor ex = counting();
        int[] ids = new Generator(ex, VOCAB, 64, null).generate(List.<int[]>of(new int[]{2, 3}), greedy(4).build())
                .sequences().getFirst().newIds();
        assertArrayEquals(new int[]{10, 15, 14, 11}, ids);
        assertEquals(List.of(Head.ARGMAX, Head.ARGMAX, Head.ARGMAX), ex.decodeHeads);
        ScriptedExecutor withPenalty = counting();
        new Generator(withPenalty, VOCAB, 64, null).generate(List.<int[]>of(new int[]{2, 3}), greedy(4).repetitionPenalty(1.3).build());
        assertEquals(List.of(Head.LAST, Head.LAST, Head.LAST), withPenalty.decodeHeads, "a processor needs the logits");
    }

    @Test
    void topKOneEqualsGreedy() {
        int[] greedyIds = new Generator(spread(), VOCAB, 64, null)
                .generate(List.<int[]>of(new int[]{1}), greedy(25).build()).sequences().getFirst().newIds();
        for (long seed = 0; seed < 5; seed++) {
            int[] sampled = new Generator(spread(), VOCAB, 64, null).generate(List.<int[]>of(new int[]{1}),
                    greedy(25).doSample(true).topK(1).temperature(0.7).seed(seed).build()).sequences().getFirst().newIds();
            assertArrayEquals(greedyIds, sampled, "seed " + seed);
        }
    }

    @Test
    void repetitionPenaltyAndNoRepeatNGramApplyInGreedyDecoding() {
        // Without processors the script repeats token 4 forever.
        ScriptedExecutor ex = new ScriptedExecutor(h -> {
            float[] l = new float[VOCAB];
            l[4] = 3f;
            l[6] = 2f;
            l[7] = 1f;
            return l;
        });
        Generator g = new Generator(ex, VOCAB, 64, null);
        assertArrayEquals(new int[]{4, 4, 4}, g.generate(List.<int[]>of(new int[]{0}), greedy(3).build()).sequences().getFirst().newIds());
        // Penalty 2: 4 becomes 1.5 once seen; 6 (2.0) wins, then 6 -> 1.0 and 4 (1.5) wins again, then 7 (1.0 vs 1.5/1.0).
        assertArrayEquals(new int[]{4, 6, 4},
                g.generate(List.<int[]>of(new int[]{0}), greedy(3).repetitionPenalty(2.0).build()).sequences().getFirst().newIds());
        // no_repeat_ngram_size 2: [0 4] has no bigram starting with 4, so 4 again; then "4 4" exists and
        // 4 is banned after 4 (6 wins); after 6 no bigram starts with 6, so 4.
        assertArrayEquals(new int[]{4, 4, 6, 4},
                g.generate(List.<int[]>of(new int[]{0}), greedy(4).noRepeatNgramSize(2).build()).sequences().getFirst().newIds());
    }

    @Test
    void concurrentRequestsOnOneExecutorMatchSequentialOnes() throws Exception {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(40).doSample(true).topK(0).build();
        int threads = 4;
        List<int[]> expected = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            expected.add(new Generator(spread(), VOCAB, 64, null).generate(List.<int[]>of(new int[]{t + 1}),
                    cfg.toBuilder().seed((long) t).build()).sequences().getFirst().newIds());
        }
        ScriptedExecutor shared = spread();
        shared.sleepNanosPerStep = 200_000;
        Generator g = new Generator(shared, VOCAB, 64, null);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            List<java.util.concurrent.Future<int[]>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int prompt = t + 1;
                long seed = t;
                futures.add(pool.submit(() -> g.generate(List.<int[]>of(new int[]{prompt}),
                        cfg.toBuilder().seed(seed).build()).sequences().getFirst().newIds()));
            }
            for (int t = 0; t < threads; t++) {
                assertArrayEquals(expected.get(t), futures.get(t).get(30, java.util.concurrent.TimeUnit.SECONDS), "thread " + t);
            }
        }
        // The requests interleaved step by step instead of running one after the other.
        assertTrue(shared.batchSizes.size() == threads * 40, "steps: " + shared.batchSizes.size());
        assertEquals(threads, shared.caches.size());
        assertTrue(shared.caches.stream().allMatch(c -> c.closed), "every cache closed");
    }

    @Test
    void cancellationFromAnotherThreadStopsARunningRequest() throws Exception {
        ScriptedExecutor ex = counting();
        ex.sleepNanosPerStep = 2_000_000;
        Generator g = new Generator(ex, VOCAB, 2000, null);
        GenerationControl control = new GenerationControl();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(3);
        TokenStreamer streamer = (sequence, tokenId) -> started.countDown();
        var future = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> g.generate(List.<int[]>of(new int[]{3}), greedy(1000).build(), streamer, control));
        assertTrue(started.await(30, java.util.concurrent.TimeUnit.SECONDS));
        control.cancel();
        GeneratedSequence s = future.get(30, java.util.concurrent.TimeUnit.SECONDS).sequences().getFirst();
        assertEquals(FinishReason.CANCELLED, s.finishReason());
        assertTrue(s.newIds().length >= 3 && s.newIds().length < 1000, "tokens: " + s.newIds().length);
        assertTrue(ex.caches.getFirst().closed, "the cancelled request's cache is closed");
    }

    @Test
    void aFailingStepClosesEveryCacheAndPropagates() {
        ScriptedExecutor ex = counting();
        ex.failAtStep = 3;
        Generator g = new Generator(ex, VOCAB, 64, null);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> g.generate(List.of(new int[]{3}, new int[]{4, 5}), greedy(10).build()));
        assertTrue(e.getMessage().contains("step 3"), e.getMessage());
        assertEquals(2, ex.caches.size());
        assertTrue(ex.caches.stream().allMatch(c -> c.closed), "caches closed after a failure");
    }

    // ---- limits before allocation (issue 9, item 5) ----

    /** A heap of fixed size for the memory check; counts the collections it was asked for. */
    private static final class FixedHeap implements Generator.HeapBudget {
        final long max;
        long free;
        long freedByCollect;
        int collections;

        FixedHeap(long max, long free) {
            this.max = max;
            this.free = free;
        }

        @Override
        public long free() {
            return free;
        }

        @Override
        public long max() {
            return max;
        }

        @Override
        public void collect() {
            collections++;
            free += freedByCollect;
        }
    }

    private static final long GIB = 1L << 30;

    @Test
    void aRequestBeyondTheHeapIsRefusedWithTheEstimateBeforeAnythingIsAllocated() {
        ScriptedExecutor ex = counting();
        ex.cacheBytesPerPosition = 1L << 20; // 1 MiB per position: 53 positions are 53 MiB per sequence
        Generator g = new Generator(ex, VOCAB, 64, null);
        GenerationConfig config = greedy(50).doSample(true).numReturnSequences(200_000).build();
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> g.generate(List.<int[]>of(new int[]{1, 2, 3}), config));
        // per sequence: 53 MiB of cache + 2 x 16 floats of logits + 2 x 53 ids + 512 B = 55575592 B; x 200000
        String m = e.getMessage();
        assertTrue(m.startsWith("this request needs about 10.1 TiB (200000 sequences x 53.0 MiB of KV cache and logits)"
                + " but the Java heap has "), m);
        assertTrue(m.endsWith("in reserve); lower num_return_sequences or max_new_tokens, or raise -Xmx"), m);
        assertTrue(m.matches(".* has (\\d+\\.\\d [KMGTPE]iB|\\d+ B) free \\(of -Xmx \\d+\\.\\d [KMGT]iB, keeping 10% in reserve\\).*"), m);
        assertFalse(m.contains("\n"), "one line");
        assertTrue(ex.caches.isEmpty(), "no cache was created");
        assertTrue(ex.batchSizes.isEmpty(), "no step ran");
        assertEquals(List.of(53), ex.cacheBytesAsked.stream().map(c -> c.maxLength()).toList(),
                "the cache at its full length (prompt + max_new_tokens) was asked for once per distinct prompt");
    }

    @Test
    void theRefusalStatesTheEstimateAndTheLimit() {
        FixedHeap heap = new FixedHeap(6 * GIB, 5 * GIB);
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> Generator.requireMemory(200_000L * 75_776, 200_000, heap));
        assertEquals("this request needs about 14.1 GiB (200000 sequences x 74.0 KiB of KV cache and logits) but the Java"
                + " heap has 4.4 GiB free (of -Xmx 6.0 GiB, keeping 10% in reserve); lower num_return_sequences or"
                + " max_new_tokens, or raise -Xmx", e.getMessage());
        assertEquals(1, heap.collections, "garbage is collected once before refusing");
        assertEquals("this request needs about 2.0 KiB (1 sequence x 2.0 KiB of KV cache and logits) but the Java heap has"
                        + " 0 B free (of -Xmx 10.0 KiB, keeping 10% in reserve); lower num_return_sequences or max_new_tokens,"
                        + " or raise -Xmx",
                assertThrows(ModernBertException.class,
                        () -> Generator.requireMemory(2048, 1, new FixedHeap(10240, 100))).getMessage());
    }

    @Test
    void aRequestWithinTheHeapPassesAndGarbageIsCollectedBeforeRefusing() {
        FixedHeap roomy = new FixedHeap(10 * GIB, 8 * GIB);
        Generator.requireMemory(6 * GIB, 1000, roomy);
        assertEquals(0, roomy.collections, "no collection when the request fits");
        FixedHeap full = new FixedHeap(10 * GIB, 2 * GIB);
        full.freedByCollect = 6 * GIB;
        Generator.requireMemory(6 * GIB, 1000, full);
        assertEquals(1, full.collections, "a collection freed enough: the request goes on");
    }

    @Test
    void aNormalRequestIsUnaffectedByTheMemoryCheck() {
        ScriptedExecutor ex = counting();
        Generator g = new Generator(ex, VOCAB, 64, null);
        GenerationResult r = g.generate(List.<int[]>of(new int[]{2, 3}, new int[]{4}),
                greedy(5).doSample(true).numReturnSequences(3).seed(7L).build());
        assertEquals(6, r.sequences().size());
        assertTrue(r.sequences().stream().allMatch(s -> s.newIds().length == 5));
        assertEquals(List.of(7, 6), ex.cacheBytesAsked.stream().map(c -> c.maxLength()).toList());
    }

    @Test
    void formatBytesUsesBinaryUnitsWithOneDecimal() {
        assertEquals("0 B", Generator.formatBytes(0));
        assertEquals("1023 B", Generator.formatBytes(1023));
        assertEquals("1.0 KiB", Generator.formatBytes(1024));
        assertEquals("74.0 KiB", Generator.formatBytes(75_776));
        assertEquals("1.5 MiB", Generator.formatBytes(3L << 19));
        assertEquals("8.0 EiB", Generator.formatBytes(Long.MAX_VALUE));
    }

    // ---- special tokens checked where used (issue 9, item 1) ----

    @Test
    void anEosIdOutsideTheVocabularyWarnsAndGenerationGoesOnToTheLength() {
        ScriptedExecutor ex = counting();
        Generator g = new Generator(ex, VOCAB, 64, null);
        GenerationResult r = g.generate(List.<int[]>of(new int[]{2, 3}), greedy(4).eosTokenIds(List.of(50282, 10)).build());
        // 10 is in the vocabulary and is the first token: it stops there; 50282 never could.
        assertEquals(FinishReason.EOS, r.sequences().getFirst().finishReason());
        GenerationResult never = g.generate(List.<int[]>of(new int[]{2, 3}), greedy(4).eosTokenId(50282).build());
        assertArrayEquals(new int[]{10, 15, 14, 11}, never.sequences().getFirst().newIds());
        assertEquals(FinishReason.LENGTH, never.sequences().getFirst().finishReason());
        assertEquals("eos_token_id 50282 is outside the vocabulary [0, 16): it can never be generated, so it never stops a"
                + " sequence; generation stops at max_new_tokens/max_length, a stop string or max_time",
                Generator.eosWarning(List.of(50282, 10), VOCAB));
        assertEquals("eos_token_id [-1, 16] is outside", Generator.eosWarning(List.of(-1, 3, 16), VOCAB).substring(0, 32));
        assertNull(Generator.eosWarning(List.of(0, 15), VOCAB));
        assertNull(Generator.eosWarning(List.of(), VOCAB));
    }

    @Test
    void specialTokenIdsOutsideTheVocabularyAreAcceptedByTheGenerationConfig() {
        GenerationConfig c = GenerationConfig.builder().eosTokenIds(List.of(-1, 50282)).padTokenId(-1).bosTokenId(99999).build();
        assertEquals(List.of(-1, 50282), c.eosTokenIds());
        assertEquals(-1, c.padTokenId());
        assertEquals(99999, c.bosTokenId());
    }
}
