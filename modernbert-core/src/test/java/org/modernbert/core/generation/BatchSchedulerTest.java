package org.modernbert.core.generation;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.core.model.Losses;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchSchedulerTest {
    private static final int VOCAB = 40;
    private static final int MAX_POSITIONS = 256;

    /** Logits spread over every token, depending on the whole history: batching mistakes change them. */
    private static ScriptedExecutor spread() {
        return new ScriptedExecutor(h -> {
            float[] l = new float[VOCAB];
            int sum = 0;
            for (int t : h) {
                sum = sum * 31 + t;
            }
            for (int i = 0; i < VOCAB; i++) {
                l[i] = (float) Math.sin(i * 1.7 + sum * 0.013 + h.length) * 3f;
            }
            return l;
        });
    }

    private static BatchScheduler scheduler(ScriptedExecutor ex, int maxBatch, int maxQueue, int chunk) {
        return new BatchScheduler(ex, VOCAB, MAX_POSITIONS, null, new BatchScheduler.Options(maxBatch, maxQueue, chunk));
    }

    private static GenerationResult alone(List<int[]> prompts, GenerationConfig config) {
        return new Generator(spread(), VOCAB, MAX_POSITIONS, null).generate(prompts, config);
    }

    private static GenerationResult get(Ticket t) throws Exception {
        return t.result().get(30, TimeUnit.SECONDS);
    }

    private static int[] prompt(int length, int salt) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = 1 + (i * 7 + salt) % (VOCAB - 1);
        }
        return p;
    }

    private static GenerationConfig greedy(int maxNew) {
        return GenerationConfig.builder().maxNewTokens(maxNew).build();
    }

    private static GenerationConfig sampled(int maxNew, long seed) {
        return GenerationConfig.builder().maxNewTokens(maxNew).doSample(true).temperature(1.3).topK(0).seed(seed).build();
    }

    @Test
    void concurrentRequestsShareStepsAndEachGivesWhatItGivesAlone() throws Exception {
        ScriptedExecutor ex = spread();
        ex.sleepNanosPerStep = 200_000; // slow enough that submissions overlap running requests
        List<List<int[]>> prompts = new ArrayList<>();
        List<GenerationConfig> configs = new ArrayList<>();
        for (int r = 0; r < 12; r++) {
            prompts.add(List.of(prompt(3 + r % 5, r)));
            configs.add(r % 3 == 0 ? greedy(6 + r) : sampled(6 + r, 100 + r));
        }
        configs.set(4, sampled(9, 7).toBuilder().numReturnSequences(3).build());
        configs.set(5, greedy(5).toBuilder().repetitionPenalty(1.3).build());
        try (BatchScheduler s = scheduler(ex, 32, 64, 512)) {
            List<Ticket> tickets = new CopyOnWriteArrayList<>(new Ticket[12]);
            List<Thread> threads = new ArrayList<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            for (int r = 0; r < 12; r++) {
                int i = r;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await(); // all at once, from twelve threads
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    tickets.set(i, s.submit(BatchScheduler.Request.of(prompts.get(i), configs.get(i))));
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            for (int r = 0; r < 12; r++) {
                GenerationResult together = get(tickets.get(r));
                GenerationResult expected = alone(prompts.get(r), configs.get(r));
                assertEquals(expected.sequences().size(), together.sequences().size());
                for (int q = 0; q < expected.sequences().size(); q++) {
                    assertArrayEquals(expected.sequences().get(q).newIds(), together.sequences().get(q).newIds(), "request " + r + " sequence " + q);
                    assertEquals(expected.sequences().get(q).finishReason(), together.sequences().get(q).finishReason());
                }
            }
            assertTrue(ex.batchSizes.stream().anyMatch(b -> b > 3), "requests shared steps: " + ex.batchSizes);
            assertEquals(0, s.stats().openCaches(), "every cache was closed");
            assertTrue(ex.caches.stream().allMatch(c -> c.closed));
            assertEquals(12, s.stats().completed());
        }
    }

    @Test
    void aLongPromptIsPrefilledInChunksWhileOthersKeepDecoding() throws Exception {
        ScriptedExecutor ex = spread();
        ex.sleepNanosPerStep = 300_000;
        try (BatchScheduler s = scheduler(ex, 8, 8, 8)) {
            Ticket decoding = s.submit(BatchScheduler.Request.of(List.of(prompt(4, 1)), greedy(40)));
            Thread.sleep(3);
            Ticket longPrompt = s.submit(BatchScheduler.Request.of(List.of(prompt(60, 2)), greedy(5)));
            assertArrayEquals(alone(List.of(prompt(60, 2)), greedy(5)).sequences().getFirst().newIds(),
                    get(longPrompt).sequences().getFirst().newIds(), "chunked prefill gives the same continuation");
            assertArrayEquals(alone(List.of(prompt(4, 1)), greedy(40)).sequences().getFirst().newIds(),
                    get(decoding).sequences().getFirst().newIds());
            assertTrue(ex.stepTokens.stream().allMatch(t -> t <= 8 + 2), "no step took more than the chunk plus the decoders: " + ex.stepTokens);
            assertEquals(60, get(longPrompt).prefilledTokens());
        }
    }

    @Test
    void copiesArePrefilledOnceAndForkTheCache() throws Exception {
        ScriptedExecutor ex = spread();
        GenerationConfig three = sampled(6, 5).toBuilder().numReturnSequences(3).build();
        try (BatchScheduler s = scheduler(ex, 8, 8, 512)) {
            GenerationResult r = get(s.submit(BatchScheduler.Request.of(List.of(prompt(9, 3), prompt(9, 3)), three)));
            assertEquals(6, r.sequences().size());
            assertEquals(9, ex.stepTokens.getFirst(), "the repeated prompt is prefilled once for its six sequences");
            assertEquals(6, ex.caches.size(), "one cache prefilled, five forks");
            assertEquals(9, r.prefilledTokens());
            GenerationResult expected = alone(List.of(prompt(9, 3), prompt(9, 3)), three);
            for (int q = 0; q < 6; q++) {
                assertArrayEquals(expected.sequences().get(q).newIds(), r.sequences().get(q).newIds());
            }
        }
    }

    @Test
    void aCancelledRequestEndsAndFreesItsCachesAtTheNextStep() throws Exception {
        ScriptedExecutor ex = spread();
        ex.sleepNanosPerStep = 1_000_000;
        List<FinishReason> ends = new CopyOnWriteArrayList<>();
        TokenStreamer streamer = new TokenStreamer() {
            @Override
            public void put(int sequence, int tokenId) {
            }

            @Override
            public void end(int sequence, FinishReason reason) {
                ends.add(reason);
            }
        };
        try (BatchScheduler s = scheduler(ex, 8, 8, 512)) {
            Ticket t = s.submit(new BatchScheduler.Request(List.of(prompt(5, 1)), null, greedy(200).toBuilder().numReturnSequences(1).build(),
                    streamer, List.of(), -1));
            Ticket other = s.submit(BatchScheduler.Request.of(List.of(prompt(5, 2)), greedy(30)));
            Thread.sleep(15);
            t.cancel();
            GenerationResult r = get(t);
            assertEquals(FinishReason.CANCELLED, r.sequences().getFirst().finishReason());
            assertTrue(r.sequences().getFirst().newIds().length < 200);
            assertEquals(List.of(FinishReason.CANCELLED), ends);
            assertEquals(FinishReason.LENGTH, get(other).sequences().getFirst().finishReason(), "the other request is unaffected");
            assertEquals(0, s.stats().openCaches());
            assertEquals(1, s.stats().cancelled());
        }
    }

    @Test
    void aFullQueueRefusesAndShutdownDrainsThenRefuses() throws Exception {
        ScriptedExecutor ex = spread();
        ex.sleepNanosPerStep = 2_000_000;
        BatchScheduler s = scheduler(ex, 1, 2, 512);
        List<Ticket> accepted = new ArrayList<>();
        // The first request runs alone for 100 steps (about 0.2 s): long enough to fill the queue behind it.
        accepted.add(s.submit(BatchScheduler.Request.of(List.of(prompt(3, 99)), greedy(100))));
        QueueFullException full = null;
        for (int i = 0; i < 10 && full == null; i++) {
            try {
                accepted.add(s.submit(BatchScheduler.Request.of(List.of(prompt(3, i)), greedy(5))));
            } catch (QueueFullException e) {
                full = e;
            }
        }
        assertNotNull(full, "a queue of 2 behind a batch of 1 fills");
        assertTrue(full.getMessage().contains("requests are waiting"), full.getMessage());
        assertTrue(s.shutdown(Duration.ofSeconds(30)), "every accepted request finished while draining");
        for (Ticket t : accepted) {
            assertEquals(FinishReason.LENGTH, get(t).sequences().getFirst().finishReason());
        }
        ModernBertException after = assertThrows(ModernBertException.class,
                () -> s.submit(BatchScheduler.Request.of(List.of(prompt(3, 0)), greedy(5))));
        assertEquals("the scheduler is shutting down", after.getMessage());
    }

    @Test
    void shutdownWithoutDrainCancelsWhatIsLeft() throws Exception {
        ScriptedExecutor ex = spread();
        ex.sleepNanosPerStep = 2_000_000;
        BatchScheduler s = scheduler(ex, 1, 8, 512);
        Ticket running = s.submit(BatchScheduler.Request.of(List.of(prompt(3, 1)), greedy(200)));
        Ticket queued = s.submit(BatchScheduler.Request.of(List.of(prompt(3, 2)), greedy(200)));
        Thread.sleep(10);
        assertTrue(!s.shutdown(Duration.ZERO));
        assertEquals(FinishReason.CANCELLED, get(running).sequences().getFirst().finishReason());
        assertEquals(FinishReason.CANCELLED, get(queued).sequences().getFirst().finishReason());
        assertEquals(0, get(queued).sequences().getFirst().newIds().length);
        assertEquals(0, s.stats().openCaches());
    }

    @Test
    void aFailedStepFailsItsRequestsAndTheSchedulerGoesOn() throws Exception {
        ScriptedExecutor ex = spread();
        ex.failAtStep = 3;
        try (BatchScheduler s = scheduler(ex, 8, 8, 512)) {
            Ticket failing = s.submit(BatchScheduler.Request.of(List.of(prompt(3, 1)), greedy(10)));
            ExecutionException e = assertThrows(ExecutionException.class, () -> get(failing));
            assertTrue(e.getCause().getMessage().contains("scripted failure at step 3"), e.getCause().getMessage());
            Ticket after = s.submit(BatchScheduler.Request.of(List.of(prompt(3, 2)), greedy(10)));
            assertArrayEquals(alone(List.of(prompt(3, 2)), greedy(10)).sequences().getFirst().newIds(),
                    get(after).sequences().getFirst().newIds());
            assertEquals(0, s.stats().openCaches());
            assertEquals(1, s.stats().failed());
        }
    }

    @Test
    void aRequestCancelledWhileQueuedEndsWithoutRunningAndFreesItsSlot() throws Exception {
        ScriptedExecutor ex = spread();
        ex.sleepNanosPerStep = 2_000_000;
        try (BatchScheduler s = scheduler(ex, 1, 1, 512)) {
            Ticket running = s.submit(BatchScheduler.Request.of(List.of(prompt(3, 1)), greedy(60)));
            Thread.sleep(10);
            Ticket queued = s.submit(BatchScheduler.Request.of(List.of(prompt(3, 2)), greedy(60)));
            queued.cancel();
            GenerationResult r = get(queued);
            assertEquals(FinishReason.CANCELLED, r.sequences().getFirst().finishReason());
            assertEquals(0, r.sequences().getFirst().newIds().length);
            assertTrue(!running.result().isDone(), "it ended while the first request still ran");
            assertNotNull(s.submit(BatchScheduler.Request.of(List.of(prompt(3, 3)), greedy(2))), "its queue slot is free again");
            assertEquals(FinishReason.LENGTH, get(running).sequences().getFirst().finishReason());
        }
    }

    @Test
    void logprobsAreTheLogSoftmaxOfTheRawLogits() throws Exception {
        ScriptedExecutor ex = spread();
        List<TokenLogprobs> seen = new CopyOnWriteArrayList<>();
        List<Integer> tokens = new CopyOnWriteArrayList<>();
        TokenStreamer streamer = new TokenStreamer() {
            @Override
            public void put(int sequence, int tokenId) {
                throw new AssertionError("the logprobs overload is called");
            }

            @Override
            public void put(int sequence, int tokenId, TokenLogprobs logprobs) {
                tokens.add(tokenId);
                seen.add(logprobs);
            }
        };
        int[] p = prompt(4, 9);
        try (BatchScheduler s = scheduler(ex, 8, 8, 512)) {
            GenerationResult r = get(s.submit(new BatchScheduler.Request(List.of(p), null, greedy(3), streamer, List.of(), 2)));
            assertEquals(3, seen.size());
            int[] history = p;
            for (int i = 0; i < 3; i++) {
                float[] logits = spread().script.apply(history);
                double norm = Losses.logSumExp(logits, 0, VOCAB);
                TokenLogprobs lp = seen.get(i);
                assertEquals(logits[tokens.get(i)] - norm, lp.logprob(), 1e-5);
                assertEquals(2, lp.topIds().length);
                assertEquals(tokens.get(i), lp.topIds()[0], "greedy picks the most likely token");
                assertTrue(lp.topLogprobs()[0] >= lp.topLogprobs()[1]);
                history = java.util.Arrays.copyOf(history, history.length + 1);
                history[history.length - 1] = tokens.get(i);
            }
            assertArrayEquals(r.sequences().getFirst().newIds(), tokens.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    @Test
    void aStreamerThatThrowsFailsOnlyItsRequest() throws Exception {
        ScriptedExecutor ex = spread();
        ex.sleepNanosPerStep = 200_000;
        TokenStreamer broken = (sequence, token) -> {
            throw new IllegalStateException("client went away");
        };
        try (BatchScheduler s = scheduler(ex, 8, 8, 512)) {
            Ticket bad = s.submit(new BatchScheduler.Request(List.of(prompt(3, 1)), null, greedy(10), broken, List.of(), -1));
            Ticket good = s.submit(BatchScheduler.Request.of(List.of(prompt(3, 2)), greedy(10)));
            ExecutionException e = assertThrows(ExecutionException.class, () -> get(bad));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertEquals(10, get(good).sequences().getFirst().newIds().length);
            assertEquals(0, s.stats().openCaches());
            assertEquals(1, s.stats().failed());
        }
    }

    @Test
    void invalidRequestsAreRefusedOnSubmission() {
        try (BatchScheduler s = scheduler(spread(), 8, 8, 512)) {
            ModernBertException tooLong = assertThrows(ModernBertException.class,
                    () -> s.submit(BatchScheduler.Request.of(List.of(prompt(250, 1)), greedy(10))));
            assertTrue(tooLong.getMessage().contains("exceed the model's max_position_embeddings 256"), tooLong.getMessage());
            ModernBertException seeds = assertThrows(ModernBertException.class, () -> s.submit(
                    new BatchScheduler.Request(List.of(prompt(3, 1)), new long[]{1, 2}, greedy(3), null, List.of(), -1)));
            assertEquals("got 2 seeds for 1 prompts: give one per prompt", seeds.getMessage());
        }
    }
}
