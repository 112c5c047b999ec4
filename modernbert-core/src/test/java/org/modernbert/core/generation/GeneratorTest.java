package org.modernbert.core.generation;

import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.Head;
import org.modernbert.api.ModernBertException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
