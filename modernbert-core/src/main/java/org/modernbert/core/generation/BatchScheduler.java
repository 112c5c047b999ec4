package org.modernbert.core.generation;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.sampling.LogitsProcessor;
import org.modernbert.core.sampling.LogitsProcessorList;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous batching: requests from many threads share the model's steps. A request joins the
 * running batch at the next step; each step runs one token of every running sequence plus chunks of
 * the prompts being prefilled (at most {@link Options#prefillChunkTokens} prompt tokens per step, so a
 * long prompt never stalls the others' decoding); finished, cancelled and timed-out sequences leave
 * and free their caches at once. Each request keeps its own sampling settings, seeds, stop conditions
 * and streamer, and its sequences continue exactly as {@link Generator} continues them
 * ({@link SequenceState}): a request gives the same tokens here as alone. Copies ({@code
 * num_return_sequences}) and repeated prompts of a request are prefilled once and fork the cache.
 *
 * <p>One thread runs the steps; {@link TokenStreamer} callbacks run on it and must not block.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(BatchScheduler.class);

    /**
     * @param maxBatchSequences  sequences running together at most (a request larger than this runs alone)
     * @param maxQueuedRequests  requests waiting at most; more are refused with {@link QueueFullException}
     * @param prefillChunkTokens prompt tokens prefilled per step at most
     */
    public record Options(int maxBatchSequences, int maxQueuedRequests, int prefillChunkTokens) {
        public Options {
            if (maxBatchSequences < 1 || maxQueuedRequests < 1 || prefillChunkTokens < 1) {
                throw new ModernBertException("scheduler options must be at least 1, got max batch " + maxBatchSequences
                        + ", max queue " + maxQueuedRequests + ", prefill chunk " + prefillChunkTokens);
            }
        }

        public static Options defaults() {
            return new Options(32, 256, 512);
        }
    }

    /**
     * One request.
     *
     * @param prompts         token ids; each gives {@code num_return_sequences} sequences
     * @param seeds           a seed per prompt, or null for {@code config.seed()}
     * @param streamer        receives tokens as they are chosen; may be null
     * @param extraProcessors applied before transformers' processors (OpenAI's penalties); may be empty
     * @param logprobs        -1: none; else the number of alternatives reported with each token's log-probability
     */
    public record Request(List<int[]> prompts, long[] seeds, GenerationConfig config, TokenStreamer streamer,
                          List<LogitsProcessor> extraProcessors, int logprobs) {
        public Request {
            prompts = List.copyOf(prompts);
            extraProcessors = extraProcessors == null ? List.of() : List.copyOf(extraProcessors);
            if (logprobs < -1) {
                throw new ModernBertException("logprobs must be -1 (none) or a count of alternatives, got " + logprobs);
            }
        }

        public static Request of(List<int[]> prompts, GenerationConfig config) {
            return new Request(prompts, null, config, null, List.of(), -1);
        }
    }

    /** What the scheduler is doing, for metrics. */
    public record Stats(int queuedRequests, int runningRequests, int runningSequences, int openCaches, long submitted,
                        long completed, long cancelled, long failed, long promptTokens, long generatedTokens, long steps,
                        int lastStepSequences, int lastStepTokens) {
    }

    private final ModelExecutor executor;
    private final int vocabSize;
    private final Tokenizer tokenizer;
    private final Generator validator;
    private final Options options;
    private final ArrayDeque<Running> queue = new ArrayDeque<>();
    private final List<Running> running = new ArrayList<>();
    private final Thread thread;
    private volatile boolean accepting = true;
    private volatile boolean stopping;
    private volatile int runningRequests;
    private volatile int runningSequences;
    private volatile int lastStepSequences;
    private volatile int lastStepTokens;
    private final AtomicInteger openCaches = new AtomicInteger();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    private final AtomicLong steps = new AtomicLong();

    public BatchScheduler(CausalLanguageModel model, Tokenizer tokenizer, Options options) {
        this(model.executor(), model.config().vocabSize(), model.config().maxPositionEmbeddings(), tokenizer, options);
    }

    public BatchScheduler(ModelExecutor executor, int vocabSize, int maxPositions, Tokenizer tokenizer, Options options) {
        this.executor = executor;
        this.vocabSize = vocabSize;
        this.tokenizer = tokenizer;
        this.validator = new Generator(executor, vocabSize, maxPositions, tokenizer);
        this.options = options;
        this.thread = Thread.ofPlatform().name("modernbert-scheduler").daemon().start(this::loop);
    }

    /**
     * Checks the request (a {@link ModernBertException} names what is wrong) and queues it; it joins the
     * running batch at the next step.
     *
     * @throws QueueFullException  when {@link Options#maxQueuedRequests} requests are waiting already
     * @throws ModernBertException when the request is invalid, or after {@link #shutdown}
     */
    public Ticket submit(Request request) {
        if (!accepting) {
            throw new ModernBertException("the scheduler is shutting down");
        }
        // Checked against the whole heap, not what running requests leave free: under load a request waits in the
        // queue for memory (admit) instead of being refused.
        Running r = new Running(request, validator.check(request.prompts(), request.seeds(), request.config(),
                Generator.HeapBudget.EMPTY));
        synchronized (queue) {
            if (!accepting) {
                throw new ModernBertException("the scheduler is shutting down");
            }
            if (queue.size() >= options.maxQueuedRequests()) {
                throw new QueueFullException(queue.size() + " requests are waiting (the most this scheduler queues): try again shortly");
            }
            queue.add(r);
            submitted.incrementAndGet();
            queue.notifyAll();
        }
        return r.ticket;
    }

    public Stats stats() {
        int queued;
        synchronized (queue) {
            queued = queue.size();
        }
        return new Stats(queued, runningRequests, runningSequences, openCaches.get(), submitted.get(), completed.get(),
                cancelled.get(), failed.get(), promptTokens.get(), generatedTokens.get(), steps.get(), lastStepSequences,
                lastStepTokens);
    }

    /**
     * Stops accepting requests, lets the queued and running ones finish for up to {@code drain},
     * cancels what is left, and stops the scheduler's thread; true when everything finished in time.
     */
    public boolean shutdown(Duration drain) {
        accepting = false;
        long deadline = System.nanoTime() + drain.toNanos();
        synchronized (queue) {
            queue.notifyAll();
            while ((!queue.isEmpty() || runningRequests > 0) && System.nanoTime() < deadline) {
                try {
                    queue.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        boolean drained = stats().queuedRequests() == 0 && runningRequests == 0;
        stopping = true;
        synchronized (queue) {
            queue.notifyAll();
        }
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return drained;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    // ---- the scheduler thread ----

    private void loop() {
        try {
            while (awaitWork()) {
                try {
                    admit();
                    retire(System.nanoTime());
                    if (!running.isEmpty()) {
                        step();
                        retire(System.nanoTime());
                    }
                } catch (Throwable t) {
                    // Whatever escaped (an OutOfMemoryError in a step, a failing cache): the requests in the batch
                    // fail, the scheduler goes on serving the queue.
                    LOG.warn("a scheduler iteration failed; failing its {} running requests: {}", running.size(), t.toString());
                    List<Running> failedNow = new ArrayList<>(running);
                    running.clear();
                    for (Running r : failedNow) {
                        r.failure = r.failure != null ? r.failure : t instanceof RuntimeException e ? e
                                : new ModernBertException("generation failed: " + t, t);
                        finishQuietly(r);
                    }
                }
                runningRequests = running.size();
                runningSequences = running.stream().mapToInt(Running::unfinished).sum();
            }
        } finally {
            // Stopping (or dying): refuse new requests, cancel whatever is left, so no caller waits forever and every cache is closed.
            accepting = false;
            List<Running> left = new ArrayList<>(running);
            synchronized (queue) {
                left.addAll(queue);
                queue.clear();
            }
            for (Running r : left) {
                r.ticket.cancel();
                try {
                    r.cancelUnfinished(System.nanoTime());
                } catch (RuntimeException e) {
                    LOG.warn("cancelling a request failed: {}", e.toString());
                } finally {
                    finishQuietly(r);
                }
            }
            running.clear();
            runningRequests = 0;
            runningSequences = 0;
            synchronized (queue) {
                queue.notifyAll();
            }
        }
    }

    /** {@link #finishRequest}, logging instead of throwing: one request's failure must not strand the others. */
    private void finishQuietly(Running r) {
        try {
            finishRequest(r);
        } catch (RuntimeException e) {
            LOG.warn("finishing a request failed: {}", e.toString());
            r.ticket.fail(e);
        }
    }

    /** Waits until there is something to do; false when the scheduler stops. */
    private boolean awaitWork() {
        synchronized (queue) {
            while (running.isEmpty() && queue.isEmpty() && !stopping) {
                runningRequests = 0;
                runningSequences = 0;
                queue.notifyAll(); // a draining shutdown waits for this
                try {
                    queue.wait();
                } catch (InterruptedException e) {
                    return false;
                }
            }
            return !stopping;
        }
    }

    /**
     * Moves queued requests into the batch, in order, while their sequences fit the batch and their
     * memory estimate fits the free heap (one request always runs: it was checked alone on submission).
     */
    private void admit() {
        synchronized (queue) {
            int sequences = running.stream().mapToInt(Running::unfinished).sum();
            for (Iterator<Running> it = queue.iterator(); it.hasNext(); ) {
                Running r = it.next();
                if (r.ticket.isCancelled()) { // cancelled while waiting: it ends now and frees its queue slot
                    it.remove();
                    r.cancelUnfinished(System.nanoTime());
                    finishQuietly(r);
                }
            }
            while (!queue.isEmpty()) {
                Running next = queue.peek();
                if (!running.isEmpty() && (sequences + next.sequenceCount() > options.maxBatchSequences()
                        || !Generator.fitsNow(next.estimatedBytes, Generator.HeapBudget.CURRENT))) {
                    break;
                }
                queue.poll();
                try {
                    next.start();
                } catch (RuntimeException e) {
                    next.failure = e;
                    finishQuietly(next);
                    continue;
                }
                running.add(next);
                sequences += next.sequenceCount();
            }
            runningRequests = running.size(); // under the queue's lock: a draining shutdown never sees a request in neither place
        }
    }

    /** Ends cancelled and timed-out sequences, and completes the requests whose sequences all ended. */
    private void retire(long now) {
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
            Running r = it.next();
            if (r.ticket.isCancelled()) {
                r.cancelUnfinished(now);
            } else if (now >= r.deadline && r.prefilling.isEmpty()) { // as Generator: the prefill's tokens always come
                r.finishUnfinished(FinishReason.MAX_TIME, now);
            }
            if (r.unfinished() == 0) {
                it.remove();
                finishRequest(r);
            }
        }
    }

    /** One model step: a token of every decoding sequence, then prompt chunks up to the prefill budget. */
    private void step() {
        List<SequenceInput> inputs = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        int tokens = 0;
        for (Running r : running) {
            for (SequenceState s : r.sequences) {
                if (s.reason == null && s.cache != null && s.length > s.promptLength) { // past its prompt: decoding
                    inputs.add(SequenceInput.tokens(s.cache, s.ids[s.length - 1]).withHead(r.argmaxOnly ? Head.ARGMAX : Head.LAST));
                    targets.add(new Target(r, s, null, 0));
                    tokens++;
                }
            }
        }
        int budget = options.prefillChunkTokens();
        for (Running r : running) {
            for (PrefillGroup g : r.prefilling) {
                if (budget == 0) {
                    break;
                }
                int n = Math.min(budget, g.first().promptLength - g.done);
                if (n == 0) {
                    continue;
                }
                if (g.first().cache == null) {
                    g.first().cache = newCache(g.first());
                }
                boolean last = g.done + n == g.first().promptLength;
                Head head = !last ? Head.NONE : r.argmaxOnly ? Head.ARGMAX : Head.LAST;
                inputs.add(SequenceInput.tokens(g.first().cache, Arrays.copyOfRange(g.first().ids, g.done, g.done + n)).withHead(head));
                targets.add(new Target(r, null, g, n));
                budget -= n;
                tokens += n;
            }
        }
        if (inputs.isEmpty()) {
            return;
        }
        List<SequenceOutput> out;
        try {
            synchronized (executor) {
                out = LimitedSteps.run(executor, inputs);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            // The step failed as a whole: every request in it fails; others are unaffected.
            LOG.warn("a model step of {} sequences failed: {}", inputs.size(), e.toString());
            RuntimeException failure = e instanceof RuntimeException r ? r
                    : new ModernBertException("the model step ran out of memory (" + inputs.size() + " sequences): " + e.getMessage(), e);
            for (Target t : targets) {
                t.request.failure = failure;
            }
            return;
        }
        steps.incrementAndGet();
        lastStepSequences = inputs.size();
        lastStepTokens = tokens;
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            SequenceOutput o = out.get(i);
            if (t.request.failure != null) {
                continue;
            }
            try {
                if (t.sequence != null) {
                    t.request.choose(t.sequence, o);
                } else {
                    t.group.done += t.tokens;
                    t.request.prefilledTokens += t.tokens;
                    if (t.group.done == t.group.first().promptLength) {
                        t.request.prefilled(t.group, o);
                    }
                }
            } catch (RuntimeException e) {
                t.request.failure = e; // a streamer that threw, or a backend answer out of range: this request only
            }
        }
    }

    private KvCache newCache(SequenceState s) {
        synchronized (executor) {
            KvCache cache = executor.newCache(CacheSpec.of(s.promptLength + s.maxNew));
            openCaches.incrementAndGet();
            return cache;
        }
    }

    /** Gives a sequence's cache back (once), keeping {@code openCaches} right even when the close fails. */
    private void closeCache(SequenceState s) {
        if (s.cache == null) {
            return;
        }
        try {
            synchronized (executor) {
                s.cache.close();
            }
        } catch (RuntimeException e) {
            LOG.warn("closing a cache failed: {}", e.toString());
        } finally {
            s.cache = null;
            openCaches.decrementAndGet();
        }
    }

    private void finishRequest(Running r) {
        for (SequenceState s : r.sequences) {
            closeCache(s);
        }
        if (r.failure != null) {
            failed.incrementAndGet();
            r.ticket.fail(r.failure);
        } else {
            if (r.ticket.isCancelled()) {
                cancelled.incrementAndGet();
            } else {
                completed.incrementAndGet();
            }
            r.ticket.complete(r.result());
        }
        synchronized (queue) {
            queue.notifyAll();
        }
    }

    /** What an output of a step belongs to: a decoding sequence, or a chunk of a prompt group. */
    private record Target(Running request, SequenceState sequence, PrefillGroup group, int tokens) {
    }

    /** Copies and repeats of one prompt in a request: prefilled once into the first's cache, then forked. */
    private static final class PrefillGroup {
        final List<SequenceState> copies;
        int done; // prompt tokens in the first's cache

        PrefillGroup(List<SequenceState> copies) {
            this.copies = copies;
        }

        SequenceState first() {
            return copies.getFirst();
        }
    }

    /** A request in the batch: its sequences and where its prefill stands. */
    private final class Running {
        final Request request;
        final Ticket ticket = new Ticket();
        List<SequenceState> sequences = List.of();
        List<PrefillGroup> prefilling = List.of();
        LogitsProcessorList processors;
        int[] eos;
        boolean argmaxOnly;
        Integer topLogprobs;
        long start;
        long prefillDone;
        long deadline = Long.MAX_VALUE;
        int prefilledTokens;
        RuntimeException failure;
        final long estimatedBytes;

        Running(Request request, long estimatedBytes) {
            this.request = request;
            this.estimatedBytes = estimatedBytes;
        }

        int sequenceCount() {
            return request.prompts().size() * request.config().numReturnSequences();
        }

        int unfinished() {
            if (failure != null) {
                return 0;
            }
            int n = 0;
            for (SequenceState s : sequences) {
                if (s.reason == null) {
                    n++;
                }
            }
            return n;
        }

        void start() {
            GenerationConfig config = request.config();
            Generator.warnIgnoredSamplingFields(config);
            start = System.nanoTime();
            deadline = config.maxTime() == null ? Long.MAX_VALUE : start + (long) (config.maxTime() * 1e9);
            sequences = SequenceState.create(request.prompts(), request.seeds(), config, vocabSize, tokenizer);
            processors = SequenceState.processors(config, request.extraProcessors());
            eos = config.eosTokenIdArray();
            topLogprobs = request.logprobs() < 0 ? null : request.logprobs();
            argmaxOnly = !config.doSample() && processors.processors().isEmpty() && topLogprobs == null;
            prefilling = new ArrayList<>();
            for (List<SequenceState> g : SequenceState.byPrompt(sequences)) {
                prefilling.add(new PrefillGroup(g));
            }
            for (SequenceState s : sequences) {
                promptTokens.addAndGet(s.promptLength);
            }
        }

        void choose(SequenceState s, SequenceOutput o) {
            s.choose(o.logits(), argmaxOnly ? o.argmax() : -1, request.config(), processors, eos, request.streamer(), topLogprobs);
            generatedTokens.incrementAndGet();
            if (s.reason != null) {
                s.elapsedNanos = System.nanoTime() - start;
                closeCache(s); // a finished sequence gives its cache back now, not when its request ends
            }
        }

        /** The group's prompt is in its first cache: the copies fork it, and each chooses its first token. */
        void prefilled(PrefillGroup g, SequenceOutput o) {
            for (int c = 1; c < g.copies.size(); c++) {
                synchronized (executor) {
                    g.copies.get(c).cache = g.first().cache.fork();
                    openCaches.incrementAndGet();
                }
            }
            prefilling.remove(g);
            if (prefilling.isEmpty()) {
                prefillDone = System.nanoTime();
            }
            for (SequenceState s : g.copies) {
                choose(s, o);
            }
        }

        void cancelUnfinished(long now) {
            finishUnfinished(FinishReason.CANCELLED, now);
        }

        void finishUnfinished(FinishReason why, long now) {
            if (sequences.isEmpty()) { // cancelled while queued: its sequences exist only to report that
                sequences = SequenceState.create(request.prompts(), request.seeds(), request.config(), vocabSize, tokenizer);
                start = now;
            }
            for (SequenceState s : sequences) {
                if (s.reason == null) {
                    s.finish(why, now - start, request.streamer());
                    closeCache(s); // a finished sequence gives its cache back now, not when its request ends
                }
            }
        }

        GenerationResult result() {
            List<GeneratedSequence> results = new ArrayList<>(sequences.size());
            int generated = 0;
            int prompt = 0;
            for (SequenceState s : sequences) {
                GeneratedSequence g = s.result(tokenizer);
                generated += g.newIds().length;
                prompt += s.promptLength;
                results.add(g);
            }
            long end = System.nanoTime();
            long prefillNanos = prefillDone == 0 ? end - start : prefillDone - start;
            long decodeNanos = prefillDone == 0 ? 0 : end - prefillDone;
            return new GenerationResult(results, prompt, prefilledTokens, generated, prefillNanos, decodeNanos);
        }
    }
}
