package org.modernbert.core.generation;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamingTest {
    private final PieceTokenizer tok = new PieceTokenizer("one ", "two ", "three ", "four ");

    /** one two three four one two ... */
    private GenerationTask task(int maxNew) {
        int first = tok.id("one ");
        ScriptedExecutor ex = ScriptedExecutor.pointing(tok.vocabSize(), h -> first + (h.length - 1) % 4);
        Generator g = new Generator(ex, tok.vocabSize(), 1000, tok);
        return (streamer, control) -> g.generate(List.<int[]>of(new int[]{0}), GenerationConfig.builder()
                .maxNewTokens(maxNew).build(), streamer, control);
    }

    @Test
    void iteratorDeliversTheTextInWordPieces() {
        List<String> got = new ArrayList<>();
        try (TextIterator it = new TextIterator(tok, task(6))) {
            it.forEachRemaining(got::add);
            assertEquals("one two three four one two ", String.join("", got));
            assertEquals(it.result().sequences().getFirst().generatedText(), String.join("", got));
        }
        assertEquals(List.of("one ", "two ", "three ", "four ", "one ", "two "), got);
    }

    @Test
    void iteratorCancellationEndsTheGeneration() {
        try (TextIterator it = new TextIterator(tok, task(900))) {
            assertTrue(it.hasNext());
            it.next();
            it.cancel();
            it.forEachRemaining(s -> { });
            GeneratedSequence s = it.result().sequences().getFirst();
            assertEquals(FinishReason.CANCELLED, s.finishReason());
            assertTrue(s.newIds().length < 900);
        }
    }

    @Test
    void iteratorRethrowsGenerationErrors() {
        GenerationTask failing = (s, c) -> {
            throw new ModernBertException("boom");
        };
        TextIterator it = new TextIterator(tok, failing);
        ModernBertException e = assertThrows(ModernBertException.class, it::hasNext);
        assertEquals("boom", e.getMessage());
        assertFalse(it.hasNext());
    }

    @Test
    void publisherHonoursDemandAndCompletes() throws InterruptedException {
        TextPublisher pub = new TextPublisher(tok, task(5));
        List<String> got = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        pub.subscribe(new Flow.Subscriber<>() {
            Flow.Subscription sub;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                sub = s;
                s.request(1);
            }

            @Override
            public void onNext(String item) {
                got.add(item);
                sub.request(1);
            }

            @Override
            public void onError(Throwable t) {
                done.countDown();
            }

            @Override
            public void onComplete() {
                done.countDown();
            }
        });
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals("one two three four one ", String.join("", got));
        assertEquals(FinishReason.LENGTH, pub.result().join().sequences().getFirst().finishReason());
    }

    @Test
    void publisherCancellationCancelsTheGeneration() throws Exception {
        TextPublisher pub = new TextPublisher(tok, task(900));
        AtomicReference<Flow.Subscription> sub = new AtomicReference<>();
        List<String> got = new ArrayList<>();
        pub.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                sub.set(s);
                s.request(2);
            }

            @Override
            public void onNext(String item) {
                got.add(item);
                if (got.size() == 2) {
                    sub.get().cancel();
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        GenerationResult r = pub.result().get(10, TimeUnit.SECONDS);
        assertEquals(FinishReason.CANCELLED, r.sequences().getFirst().finishReason());
        assertEquals(List.of("one ", "two "), got);
    }

    /** Records every signal, for checking the Reactive Streams rules. */
    private static final class Recorder implements Flow.Subscriber<String> {
        final List<String> items = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        final java.util.concurrent.atomic.AtomicInteger completes = new java.util.concurrent.atomic.AtomicInteger();
        final CountDownLatch terminal = new CountDownLatch(1);
        final java.util.function.Consumer<Flow.Subscription> onSubscribe;
        volatile Flow.Subscription subscription;

        Recorder(java.util.function.Consumer<Flow.Subscription> onSubscribe) {
            this.onSubscribe = onSubscribe;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            onSubscribe.accept(s);
        }

        @Override
        public void onNext(String item) {
            items.add(item);
        }

        @Override
        public void onError(Throwable t) {
            errors.add(t);
            terminal.countDown();
        }

        @Override
        public void onComplete() {
            completes.incrementAndGet();
            terminal.countDown();
        }
    }

    @Test
    void nonPositiveRequestSignalsIllegalArgumentOnceAndStopsTheGeneration() throws Exception {
        TextPublisher pub = new TextPublisher(tok, task(900));
        Recorder r = new Recorder(s -> s.request(0));
        pub.subscribe(r);
        assertTrue(r.terminal.await(10, TimeUnit.SECONDS));
        GenerationResult result = pub.result().get(10, TimeUnit.SECONDS);
        assertEquals(FinishReason.CANCELLED, result.sequences().getFirst().finishReason());
        r.subscription.request(-5);
        r.subscription.request(3);
        Thread.sleep(50);
        assertEquals(1, r.errors.size(), r.errors.toString());
        assertTrue(r.errors.getFirst() instanceof IllegalArgumentException, r.errors.toString());
        assertTrue(r.errors.getFirst().getMessage().contains("3.9"), r.errors.getFirst().getMessage());
        assertEquals(0, r.completes.get());
        assertEquals(List.of(), r.items);
    }

    @Test
    void nonPositiveRequestIsReportedEvenWhenTheGenerationFails() throws Exception {
        GenerationTask failing = (streamer, control) -> {
            throw new ModernBertException("boom");
        };
        TextPublisher pub = new TextPublisher(tok, failing);
        Recorder r = new Recorder(s -> s.request(-1));
        pub.subscribe(r);
        assertTrue(r.terminal.await(10, TimeUnit.SECONDS));
        Thread.sleep(50);
        assertEquals(1, r.errors.size(), r.errors.toString());
        assertTrue(r.errors.getFirst() instanceof IllegalArgumentException, r.errors.toString());
    }

    @Test
    void requestsAfterCancelAreNoOpsAndNothingTerminalFollows() throws Exception {
        TextPublisher pub = new TextPublisher(tok, task(900));
        Recorder r = new Recorder(s -> s.request(1));
        pub.subscribe(r);
        while (r.items.isEmpty()) {
            Thread.sleep(1);
        }
        r.subscription.cancel();
        r.subscription.request(0);
        pub.result().get(10, TimeUnit.SECONDS);
        Thread.sleep(50);
        assertEquals(List.of("one "), r.items);
        assertEquals(List.of(), r.errors);
        assertEquals(0, r.completes.get());
    }

    @Test
    void subscribeNullThrowsAndLeavesThePublisherUsable() throws Exception {
        TextPublisher pub = new TextPublisher(tok, task(3));
        assertThrows(NullPointerException.class, () -> pub.subscribe(null));
        Recorder r = new Recorder(s -> s.request(Long.MAX_VALUE));
        pub.subscribe(r);
        assertTrue(r.terminal.await(10, TimeUnit.SECONDS));
        assertEquals(1, r.completes.get());
        assertEquals("one two three ", String.join("", r.items));
        // A second subscriber gets onSubscribe, then onError.
        Recorder second = new Recorder(s -> s.request(1));
        pub.subscribe(second);
        assertTrue(second.subscription != null && second.errors.getFirst() instanceof IllegalStateException);
    }
}
