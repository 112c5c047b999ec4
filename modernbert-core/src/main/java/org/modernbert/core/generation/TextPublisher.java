package org.modernbert.core.generation;

import org.modernbert.api.tokenizer.Tokenizer;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The text of one sequence as a {@link Flow.Publisher}: subscribing starts the generation on its own
 * thread; pieces (flushed as {@link TextStreamer} does) are delivered as demanded, and generation
 * waits while the subscriber has no demand (back-pressure). Cancelling the subscription cancels the
 * generation. One subscriber only. Only sequence 0 is streamed (as transformers' streamers, which
 * support a batch of one).
 *
 * <p>Reactive Streams rules kept: {@code onSubscribe} comes first; {@code onComplete} or
 * {@code onError} at most once, and neither after the subscriber cancelled; {@code request(n <= 0)}
 * cancels the generation and signals {@code onError(IllegalArgumentException)} (rule 3.9); requests
 * after a cancel are no-ops (3.6); {@code subscribe(null)} throws {@code NullPointerException} (1.9).
 */
public final class TextPublisher implements Flow.Publisher<String> {
    private final Tokenizer tokenizer;
    private final GenerationTask task;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();

    public TextPublisher(Tokenizer tokenizer, GenerationTask task) {
        this.tokenizer = tokenizer;
        this.task = task;
    }

    /** Completes with the full result when generation ends (or exceptionally when it fails). */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super String> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        if (!subscribed.compareAndSet(false, true)) {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(new IllegalStateException("this generation publisher already has a subscriber"));
            return;
        }
        Sub sub = new Sub(subscriber);
        subscriber.onSubscribe(sub);
        Thread.ofPlatform().daemon().name("modernbert-generate").start(sub::run);
    }

    private final class Sub implements Flow.Subscription {
        private final Flow.Subscriber<? super String> subscriber;
        private final GenerationControl control = new GenerationControl();
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition demanded = lock.newCondition();
        private long demand;
        private boolean cancelled;
        private IllegalArgumentException badRequest;

        Sub(Flow.Subscriber<? super String> subscriber) {
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            lock.lock();
            try {
                if (cancelled) {
                    return;
                }
                if (n <= 0) {
                    badRequest = new IllegalArgumentException("request(" + n + "): demand must be positive (rule 3.9)");
                    cancelled = true;
                    control.cancel();
                } else {
                    demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                }
                demanded.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void cancel() {
            lock.lock();
            try {
                cancelled = true;
                control.cancel();
                demanded.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Waits for demand; false when cancelled. */
        private boolean awaitDemand() {
            lock.lock();
            try {
                while (demand == 0 && !cancelled) {
                    demanded.awaitUninterruptibly();
                }
                if (cancelled) {
                    return false;
                }
                demand--;
                return true;
            } finally {
                lock.unlock();
            }
        }

        void run() {
            TextStreamer streamer = new TextStreamer(tokenizer, (seq, text, end) -> {
                if (seq == 0 && !text.isEmpty() && awaitDemand()) {
                    subscriber.onNext(text);
                }
            });
            Throwable failure = null;
            try {
                result.complete(task.run(streamer, control));
            } catch (RuntimeException | Error e) {
                failure = e;
                result.completeExceptionally(e);
            }
            IllegalArgumentException bad;
            boolean cancelledBySubscriber;
            lock.lock();
            try {
                bad = badRequest;
                cancelledBySubscriber = cancelled && bad == null;
            } finally {
                lock.unlock();
            }
            // A bad request is reported even when the generation it stopped failed too (rule 3.9).
            if (bad != null) {
                subscriber.onError(bad);
            } else if (!cancelledBySubscriber) {
                if (failure != null) {
                    subscriber.onError(failure);
                } else {
                    subscriber.onComplete();
                }
            }
        }
    }
}
