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
import org.modernbert.core.sampling.LogitsProcessorList;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Autoregressive generation ({@code model.generate}) on a {@link ModelExecutor} with a KV cache per
 * sequence. Each distinct prompt is prefilled once, with the head at its last position only: when
 * the prompts share a prefix, the prefix is prefilled once and its cache forked for each prompt's
 * suffix; the {@code num_return_sequences} copies of a prompt (and repeated prompts) fork its cache.
 * Then each step feeds one token per running sequence (greedy decoding without logits processors
 * asks the executor for the argmax only). Prompts may have different lengths (no padding); a
 * sequence that stops leaves the step list.
 *
 * <p>Per token: the logits processors in transformers' order (see {@link LogitsProcessorList}), then
 * argmax (greedy) or a draw from the softmax (sampling); then the stopping criteria: eos, stop string,
 * length, {@code max_time}; cancellation is checked before each step.
 *
 * <p>Seeds: with a {@code seed}, copy {@code c} of every prompt draws from the {@code c}-th split of
 * {@code new SplittableRandom(seed)}, so a prompt gives the same text alone or in a batch. Without
 * one, a fresh random seed is split across all sequences.
 *
 * <p>Thread-safe: several threads may generate on one executor at once (each request has its own
 * caches, processors and random generators); executor calls are serialized by locking the executor,
 * as {@code LoadedModel} does, so requests interleave step by step and a stalled stream consumer
 * only stalls its own request.
 */
public final class Generator {
    private static final Logger LOG = LogManager.getLogger(Generator.class);

    private final ModelExecutor executor;
    private final int vocabSize;
    private final int maxPositions;
    private final Tokenizer tokenizer;
    private final java.util.Set<String> warnedEos = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param tokenizer for {@code generated_text} and {@code stop_strings}; may be null (ids only)
     */
    public Generator(ModelExecutor executor, int vocabSize, int maxPositions, Tokenizer tokenizer) {
        this.executor = executor;
        this.vocabSize = vocabSize;
        this.maxPositions = maxPositions;
        this.tokenizer = tokenizer;
    }

    public Generator(CausalLanguageModel model, Tokenizer tokenizer) {
        this(model.executor(), model.config().vocabSize(), model.config().maxPositionEmbeddings(), tokenizer);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public GenerationResult generate(List<int[]> prompts, GenerationConfig config) {
        return generate(prompts, config, null, null);
    }

    /**
     * Generates continuations of every prompt.
     *
     * @param streamer receives each token as it is chosen; may be null
     * @param control  lets another thread cancel; may be null
     */
    public GenerationResult generate(List<int[]> prompts, GenerationConfig config, TokenStreamer streamer,
                                     GenerationControl control) {
        return generate(prompts, null, config, streamer, control);
    }

    /**
     * Generates with a seed per prompt: prompt {@code p} samples as it would alone with
     * {@code config.seed() == seeds[p]}, whatever else is in the batch (batch jobs that derive a seed
     * from each row's id, so results do not depend on how rows were grouped).
     *
     * @param seeds one per prompt, or null to use {@code config.seed()} for every prompt
     */
    public GenerationResult generate(List<int[]> prompts, long[] seeds, GenerationConfig config, TokenStreamer streamer,
                                     GenerationControl control) {
        long estimate = check(prompts, seeds, config, HeapBudget.CURRENT);
        try {
            return run(prompts, seeds, config, streamer, control);
        } catch (OutOfMemoryError e) {
            // Reached only when the estimate was not enough (other requests, the backend's own buffers).
            // Everything this request allocated was local to run(), which has unwound: it is garbage now.
            throw new ModernBertException("ran out of Java heap generating " + (long) prompts.size() * config.numReturnSequences()
                    + " sequences (estimated " + formatBytes(estimate) + "; -Xmx " + formatBytes(Runtime.getRuntime().maxMemory())
                    + "); lower num_return_sequences or max_new_tokens, or raise -Xmx", e);
        }
    }

    /**
     * Validates the request before anything is allocated: prompts, seeds (one per prompt, or null),
     * stop strings, special tokens, and the memory it needs in {@code heap} (see {@link #requireMemory});
     * returns the estimated bytes. The scheduler checks against an empty heap: under load it waits for memory.
     */
    long check(List<int[]> prompts, long[] seeds, GenerationConfig config, HeapBudget heap) {
        if (prompts.isEmpty()) {
            throw new ModernBertException("generation needs at least one prompt");
        }
        if (seeds != null && seeds.length != prompts.size()) {
            throw new ModernBertException("got " + seeds.length + " seeds for " + prompts.size() + " prompts: give one per prompt");
        }
        if (!config.stopStrings().isEmpty() && tokenizer == null) {
            throw new ModernBertException("stop_strings " + config.stopStrings() + " need a tokenizer to decode the generated text");
        }
        for (int p = 0; p < prompts.size(); p++) {
            checkPrompt(p, prompts.get(p), config);
        }
        warnEosOutsideVocabulary(config);
        long perSequenceSum = 0;
        for (int[] prompt : prompts) {
            perSequenceSum = saturatedAdd(perSequenceSum, sequenceBytes(prompt.length, config.maxNewTokensFor(prompt.length)));
        }
        long sequences = (long) prompts.size() * config.numReturnSequences();
        long needed = perSequenceSum > Long.MAX_VALUE / config.numReturnSequences()
                ? Long.MAX_VALUE : perSequenceSum * config.numReturnSequences();
        requireMemory(needed, sequences, heap);
        return needed;
    }

    private GenerationResult run(List<int[]> prompts, long[] seeds, GenerationConfig config, TokenStreamer streamer,
                                 GenerationControl control) {
        warnIgnoredSamplingFields(config);
        int[] eos = config.eosTokenIdArray();
        LogitsProcessorList processors = SequenceState.processors(config, List.of());
        long start = System.nanoTime();
        long deadline = config.maxTime() == null ? Long.MAX_VALUE : start + (long) (config.maxTime() * 1e9);
        List<SequenceState> all = new ArrayList<>();
        try {
            all.addAll(SequenceState.create(prompts, seeds, config, vocabSize, tokenizer));
            boolean argmaxOnly = !config.doSample() && processors.processors().isEmpty();
            int promptTokens = all.stream().mapToInt(s -> s.promptLength).sum();
            long prefillNanos = 0;
            long decodeStart = 0;
            List<SequenceState> active = new ArrayList<>(all);
            boolean prefill = true;
            int prefilled = 0;
            while (!active.isEmpty()) {
                if (control != null && control.isCancelled()) {
                    long now = System.nanoTime();
                    for (SequenceState s : active) {
                        s.finish(FinishReason.CANCELLED, now - start, streamer);
                    }
                    break;
                }
                if (prefill) {
                    Map<SequenceState, float[]> logits = new HashMap<>();
                    prefilled = prefill(all, logits);
                    for (SequenceState s : all) {
                        s.choose(logits.get(s), -1, config, processors, eos, streamer, null);
                    }
                } else {
                    List<SequenceInput> steps = new ArrayList<>(active.size());
                    for (SequenceState s : active) {
                        steps.add(SequenceInput.tokens(s.cache, s.ids[s.length - 1]).withHead(argmaxOnly ? Head.ARGMAX : Head.LAST));
                    }
                    List<SequenceOutput> out;
                    synchronized (executor) {
                        out = LimitedSteps.run(executor, steps);
                    }
                    for (int i = 0; i < active.size(); i++) {
                        SequenceOutput o = out.get(i);
                        active.get(i).choose(o.logits(), argmaxOnly ? o.argmax() : -1, config, processors, eos, streamer, null);
                    }
                }
                long now = System.nanoTime();
                if (prefill) {
                    prefillNanos = now - start;
                    decodeStart = now;
                    prefill = false;
                }
                List<SequenceState> still = new ArrayList<>(active.size());
                for (SequenceState s : active) {
                    if (s.reason == null && now >= deadline) {
                        s.finish(FinishReason.MAX_TIME, now - start, streamer);
                    } else if (s.reason != null) {
                        s.elapsedNanos = now - start;
                    }
                    if (s.reason == null) {
                        still.add(s);
                    }
                }
                active = still;
            }
            long end = System.nanoTime();
            List<GeneratedSequence> results = new ArrayList<>(all.size());
            int generated = 0;
            for (SequenceState s : all) {
                GeneratedSequence g = s.result(tokenizer);
                generated += g.newIds().length;
                results.add(g);
            }
            long decodeNanos = decodeStart == 0 ? 0 : end - decodeStart;
            GenerationResult result = new GenerationResult(results, promptTokens, prefilled, generated, prefillNanos, decodeNanos);
            LOG.debug("generated {} tokens for {} sequences ({} prompt tokens): prefill {} ms, decode {} ms",
                    generated, all.size(), promptTokens, prefillNanos / 1e6, decodeNanos / 1e6);
            return result;
        } finally {
            closeCaches(all);
        }
    }

    /** One warning when greedy decoding ignores sampling settings, as transformers gives it. */
    static void warnIgnoredSamplingFields(GenerationConfig config) {
        List<String> ignored = config.ignoredSamplingFields();
        if (!ignored.isEmpty()) {
            LOG.warn("do_sample is false: {} only apply to sampling and are ignored (as in transformers)", ignored);
        }
    }

    /**
     * Prefills every sequence's prompt, each distinct prompt once, and gives every sequence a cache
     * holding its prompt; puts the logits of each sequence's last prompt position into {@code logits}
     * and returns the number of tokens computed.
     */
    private int prefill(List<SequenceState> all, Map<SequenceState, float[]> logits) {
        List<List<SequenceState>> distinct = SequenceState.byPrompt(all);
        int shared = sharedPrefix(distinct);
        KvCache prefix = null;
        synchronized (executor) {
            List<SequenceInput> inputs = new ArrayList<>(distinct.size());
            try {
                if (shared > 0) {
                    int maxLength = 0;
                    for (List<SequenceState> g : distinct) {
                        maxLength = Math.max(maxLength, g.getFirst().promptLength + g.getFirst().maxNew);
                    }
                    prefix = executor.newCache(CacheSpec.of(maxLength));
                    int[] tokens = Arrays.copyOf(distinct.getFirst().getFirst().ids, shared);
                    LimitedSteps.run(executor, List.of(SequenceInput.tokens(prefix, tokens).withHead(Head.NONE)));
                }
                for (List<SequenceState> g : distinct) {
                    SequenceState first = g.getFirst();
                    first.cache = prefix != null ? prefix.fork() : executor.newCache(CacheSpec.of(first.promptLength + first.maxNew));
                    inputs.add(SequenceInput.tokens(first.cache, Arrays.copyOfRange(first.ids, shared, first.promptLength)));
                }
            } finally {
                if (prefix != null) {
                    prefix.close();
                }
            }
            List<SequenceOutput> out = LimitedSteps.run(executor, inputs);
            int computed = shared;
            for (int i = 0; i < distinct.size(); i++) {
                computed += inputs.get(i).length();
                List<SequenceState> g = distinct.get(i);
                for (int c = 0; c < g.size(); c++) {
                    if (c > 0) {
                        g.get(c).cache = g.getFirst().cache.fork();
                    }
                    logits.put(g.get(c), out.get(i).logits());
                }
            }
            return computed;
        }
    }

    /**
     * Tokens at the start of every distinct prompt that are worth prefilling once: their common
     * prefix, leaving each prompt at least one token of its own (its last position gives its logits).
     * Zero with a single distinct prompt (forking its cache covers the copies).
     */
    private static int sharedPrefix(List<List<SequenceState>> distinct) {
        if (distinct.size() < 2) {
            return 0;
        }
        int[] first = distinct.getFirst().getFirst().prompt();
        int shared = first.length - 1;
        for (List<SequenceState> g : distinct) {
            int[] p = g.getFirst().prompt();
            int i = 0;
            while (i < Math.min(shared, p.length - 1) && p[i] == first[i]) {
                i++;
            }
            shared = i;
        }
        return shared;
    }

    /** Closes every cache even when one close fails; the first failure is thrown after the rest. */
    private void closeCaches(List<SequenceState> all) {
        synchronized (executor) {
            KvCache.closeAll(all.stream().map(s -> s.cache).toList());
        }
    }

    /**
     * One WARN line per generator (and set of ids) when an {@code eos_token_id} is outside the vocabulary: the model can
     * never produce it, so it never stops a sequence; generation goes on and stops by length, stop
     * strings or {@code max_time} (transformers warns likewise for a negative eos id). Such an id is
     * accepted in config.json, as transformers accepts it.
     */
    private void warnEosOutsideVocabulary(GenerationConfig config) {
        String warning = eosWarning(config.eosTokenIds(), vocabSize);
        // once per generator and set of ids, not once per request: piped prompts would repeat it per line
        if (warning != null && warnedEos.add(warning)) {
            LOG.warn(warning);
        }
    }

    /** The warning for eos ids outside {@code [0, vocab)}, or null when every one is inside. */
    static String eosWarning(List<Integer> eos, int vocab) {
        List<Integer> outside = eos.stream().filter(e -> e < 0 || e >= vocab).toList();
        if (outside.isEmpty()) {
            return null;
        }
        return "eos_token_id " + (outside.size() == 1 ? outside.getFirst() : outside) + " is outside the vocabulary [0, "
                + vocab + "): it can never be generated, so it never stops a sequence; generation stops at"
                + " max_new_tokens/max_length, a stop string or max_time";
    }

    /**
     * The heap one sequence needs at most: its KV cache at its full length ({@link ModelExecutor#cacheBytes},
     * prompt plus {@code max_new_tokens}), its scores buffer and the logits a step returns for it
     * (a vocabulary of floats each), and its ids (kept while running and copied into the result).
     */
    private long sequenceBytes(int promptLength, int maxNew) {
        long cache;
        synchronized (executor) { // executor calls are serialized, as everywhere here
            cache = executor.cacheBytes(CacheSpec.of(promptLength + maxNew));
        }
        long logits = 2L * Float.BYTES * vocabSize;
        long ids = (long) Integer.BYTES * (2L * promptLength + 2L * maxNew);
        return saturatedAdd(cache, logits + ids + SEQUENCE_OVERHEAD_BYTES);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    /** Objects of one sequence besides its arrays (state, random generator, result records), rounded up. */
    static final long SEQUENCE_OVERHEAD_BYTES = 512;

    /** The Java heap as the memory check sees it; tests give their own. */
    interface HeapBudget {
        /** Bytes that can still be allocated: {@code -Xmx} less what is in use. */
        long free();

        /** {@code -Xmx}. */
        long max();

        /** Frees what it can (a full collection) before the check decides to refuse. */
        default void collect() {
        }

        HeapBudget CURRENT = new HeapBudget() {
            @Override
            public long free() {
                Runtime rt = Runtime.getRuntime();
                return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            }

            @Override
            public long max() {
                return Runtime.getRuntime().maxMemory();
            }

            @Override
            public void collect() {
                System.gc();
            }
        };

        /** The whole of {@code -Xmx} free: whether a request could ever fit, whatever else runs. */
        HeapBudget EMPTY = new HeapBudget() {
            @Override
            public long free() {
                return Runtime.getRuntime().maxMemory();
            }

            @Override
            public long max() {
                return Runtime.getRuntime().maxMemory();
            }
        };
    }

    /** The share of {@code -Xmx} the memory check keeps free for the forward pass and everything else. */
    static final double HEAP_RESERVE = 0.10;

    /** Whether {@code needed} bytes fit the free heap less the reserve now, without collecting. */
    static boolean fitsNow(long needed, HeapBudget heap) {
        return needed <= heap.free() - (long) (heap.max() * HEAP_RESERVE);
    }

    /**
     * Refuses a request whose estimated memory exceeds the free heap less a reserve of {@link
     * #HEAP_RESERVE} of {@code -Xmx}, before anything is allocated, with one line stating the
     * estimate and the limit. The estimate is an upper bound: it counts every cache at its full
     * length, while the CPU backend grows a cache as tokens arrive and a sequence may stop early; the
     * heap is the limit because that backend keeps its caches there. Garbage counts as used until
     * collected, so a request over the limit triggers one full collection and is checked again.
     */
    static void requireMemory(long needed, long sequences, HeapBudget heap) {
        if (fitsNow(needed, heap)) {
            return;
        }
        heap.collect();
        long available = Math.max(0, heap.free() - (long) (heap.max() * HEAP_RESERVE));
        if (needed <= available) {
            return;
        }
        throw new ModernBertException("this request needs about " + formatBytes(needed) + " (" + sequences + " sequence"
                + (sequences == 1 ? "" : "s") + " x " + formatBytes(needed / Math.max(1, sequences))
                + " of KV cache and logits) but the Java heap has " + formatBytes(available) + " free (of -Xmx "
                + formatBytes(heap.max()) + ", keeping " + Math.round(HEAP_RESERVE * 100) + "% in reserve);"
                + " lower num_return_sequences or max_new_tokens, or raise -Xmx");
    }

    /** Bytes in binary units with one decimal: "512 B", "74.0 KiB", "14.2 GiB". */
    static String formatBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private void checkPrompt(int p, int[] prompt, GenerationConfig config) {
        if (prompt == null || prompt.length == 0) {
            throw new ModernBertException("prompt " + p + " is empty: generation needs at least one token (e.g. the bos token)");
        }
        for (int t = 0; t < prompt.length; t++) {
            if (prompt[t] < 0 || prompt[t] >= vocabSize) {
                throw new ModernBertException("prompt " + p + " token " + t + " is id " + prompt[t]
                        + ", outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        requireFits(p, prompt.length, config, maxPositions);
    }

    /**
     * Fails with the numbers when prompt {@code p} already reaches {@code max_length} (without
     * {@code max_new_tokens}; transformers raises the same error) or when the prompt plus its new
     * tokens would exceed the model's {@code max_position_embeddings} (callers may check before
     * loading a model).
     */
    public static void requireFits(int p, int promptLength, GenerationConfig config, int maxPositions) {
        if (config.maxNewTokens() == null) {
            int maxLength = config.maxLength() == null ? GenerationConfig.DEFAULT_MAX_LENGTH : config.maxLength();
            if (promptLength >= maxLength) {
                throw new ModernBertException("prompt " + p + " has " + promptLength + " tokens but max_length is " + maxLength
                        + (config.maxLength() == null ? " (the default)" : "")
                        + ": max_length counts the prompt; raise max_length or, better, set max_new_tokens");
            }
        }
        int maxNew = config.maxNewTokensFor(promptLength);
        long total = (long) promptLength + maxNew;
        if (total > maxPositions) {
            throw new ModernBertException("prompt " + p + " has " + promptLength + " tokens and max_new_tokens is " + maxNew
                    + ": " + total + " positions exceed the model's max_position_embeddings " + maxPositions
                    + "; shorten the prompt or lower max_new_tokens");
        }
    }
}
