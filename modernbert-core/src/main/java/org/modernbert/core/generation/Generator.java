package org.modernbert.core.generation;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.HeadMode;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceStep;
import org.modernbert.api.backend.StepResult;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.sampling.LogitsProcessorList;
import org.modernbert.core.sampling.Sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Autoregressive generation ({@code model.generate}) on a {@link ModelExecutor} with a KV cache per
 * sequence: the prompts are prefilled in one step with the head at the last position only, then each
 * step feeds one token per running sequence. Prompts may have different lengths (no padding); each of
 * the {@code num_return_sequences} copies of a prompt has its own cache; a sequence that stops leaves
 * the step list.
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
        if (prompts.isEmpty()) {
            throw new ModernBertException("generation needs at least one prompt");
        }
        if (!config.stopStrings().isEmpty() && tokenizer == null) {
            throw new ModernBertException("stop_strings " + config.stopStrings() + " need a tokenizer to decode the generated text");
        }
        for (int p = 0; p < prompts.size(); p++) {
            checkPrompt(p, prompts.get(p), config);
        }
        List<String> ignored = config.ignoredSamplingFields();
        if (!ignored.isEmpty()) {
            LOG.warn("do_sample is false: {} only apply to sampling and are ignored (as in transformers)", ignored);
        }
        int[] eos = config.eosTokenIdArray();
        LogitsProcessorList processors = LogitsProcessorList.standard(config.repetitionPenalty(),
                config.noRepeatNgramSize(), config.minNewTokens(), eos, config.doSample(), config.temperature(),
                config.topK(), config.topP(), config.minP(), config.typicalP());
        int copies = config.numReturnSequences();
        long baseSeed = config.seed() != null ? config.seed() : ThreadLocalRandom.current().nextLong();
        SplittableRandom unseededRoot = new SplittableRandom(baseSeed);

        long start = System.nanoTime();
        long deadline = config.maxTime() == null ? Long.MAX_VALUE : start + (long) (config.maxTime() * 1e9);
        List<Seq> all = new ArrayList<>();
        try {
            for (int p = 0; p < prompts.size(); p++) {
                int[] prompt = prompts.get(p).clone();
                SplittableRandom seededRoot = new SplittableRandom(baseSeed);
                for (int c = 0; c < copies; c++) {
                    SplittableRandom rng = config.seed() != null ? seededRoot.split() : unseededRoot.split();
                    int maxNew = config.maxNewTokensFor(prompt.length);
                    KvCache cache;
                    synchronized (executor) {
                        cache = executor.newCache(prompt.length + maxNew);
                    }
                    Seq s = new Seq(all.size(), p, prompt, maxNew, cache, rng, vocabSize);
                    all.add(s);
                    if (!config.stopStrings().isEmpty()) {
                        s.stopMatcher = new StopStringMatcher(tokenizer, config.stopStrings(), prompt, maxNew);
                    }
                }
            }
            int promptTokens = all.stream().mapToInt(s -> s.promptLength).sum();
            long prefillNanos = 0;
            long decodeStart = 0;
            List<Seq> active = new ArrayList<>(all);
            boolean prefill = true;
            while (!active.isEmpty()) {
                if (control != null && control.isCancelled()) {
                    long now = System.nanoTime();
                    for (Seq s : active) {
                        finish(s, FinishReason.CANCELLED, now - start, streamer);
                    }
                    break;
                }
                List<SequenceStep> steps = new ArrayList<>(active.size());
                for (Seq s : active) {
                    steps.add(new SequenceStep(s.cache, prefill ? s.prompt() : new int[]{s.ids[s.length - 1]}));
                }
                StepResult out;
                synchronized (executor) {
                    out = executor.step(steps, false, HeadMode.LAST);
                }
                if (out.headOutputs().size() != active.size()) {
                    throw new ModernBertException("backend returned " + out.headOutputs().size() + " logit rows for "
                            + active.size() + " sequences");
                }
                for (int i = 0; i < active.size(); i++) {
                    Seq s = active.get(i);
                    chooseNext(s, out.headOutputs().get(i), config, processors, eos, streamer);
                }
                long now = System.nanoTime();
                if (prefill) {
                    prefillNanos = now - start;
                    decodeStart = now;
                    prefill = false;
                }
                List<Seq> still = new ArrayList<>(active.size());
                for (Seq s : active) {
                    if (s.reason == null && now >= deadline) {
                        finish(s, FinishReason.MAX_TIME, now - start, streamer);
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
            for (Seq s : all) {
                int[] newIds = Arrays.copyOfRange(s.ids, s.promptLength, s.length);
                generated += newIds.length;
                String text = tokenizer == null ? null : tokenizer.decode(newIds, true);
                results.add(new GeneratedSequence(s.promptIndex, s.prompt(), newIds, text, s.reason, s.elapsedNanos));
            }
            long decodeNanos = decodeStart == 0 ? 0 : end - decodeStart;
            GenerationResult result = new GenerationResult(results, promptTokens, generated, prefillNanos, decodeNanos);
            LOG.debug("generated {} tokens for {} sequences ({} prompt tokens): prefill {} ms, decode {} ms",
                    generated, all.size(), promptTokens, prefillNanos / 1e6, decodeNanos / 1e6);
            return result;
        } finally {
            closeCaches(all);
        }
    }

    /** Closes every cache even when one close fails; the first failure is thrown after the rest. */
    private void closeCaches(List<Seq> all) {
        RuntimeException failure = null;
        synchronized (executor) {
            for (Seq s : all) {
                try {
                    s.cache.close();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
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

    private void chooseNext(Seq s, float[] logits, GenerationConfig config, LogitsProcessorList processors, int[] eos,
                            TokenStreamer streamer) {
        if (logits == null || logits.length != vocabSize) {
            throw new ModernBertException("backend returned " + (logits == null ? "no" : logits.length)
                    + " logits for a vocabulary of " + vocabSize);
        }
        System.arraycopy(logits, 0, s.scores, 0, vocabSize);
        processors.process(s.ids, s.length, s.promptLength, s.scores);
        int token = config.doSample() ? Sampler.sample(s.scores, s.rng) : Sampler.argmax(s.scores);
        s.ids[s.length++] = token;
        if (streamer != null) {
            streamer.put(s.index, token);
        }
        FinishReason reason = null;
        for (int e : eos) {
            if (e == token) {
                reason = FinishReason.EOS;
                break;
            }
        }
        if (s.stopMatcher != null && s.stopMatcher.add(token) && reason == null) {
            reason = FinishReason.STOP_STRING;
        }
        if (reason == null && s.length - s.promptLength >= s.maxNew) {
            reason = FinishReason.LENGTH;
        }
        if (reason != null) {
            s.reason = reason;
            if (streamer != null) {
                streamer.end(s.index, reason);
            }
        }
    }

    private static void finish(Seq s, FinishReason reason, long elapsed, TokenStreamer streamer) {
        s.reason = reason;
        s.elapsedNanos = elapsed;
        if (streamer != null) {
            streamer.end(s.index, reason);
        }
    }

    /** State of one running sequence. */
    private static final class Seq {
        final int index;
        final int promptIndex;
        final int promptLength;
        final int maxNew;
        final KvCache cache;
        final SplittableRandom rng;
        final int[] ids;
        final float[] scores;
        int length;
        StopStringMatcher stopMatcher;
        FinishReason reason;
        long elapsedNanos;

        Seq(int index, int promptIndex, int[] prompt, int maxNew, KvCache cache, SplittableRandom rng, int vocab) {
            this.index = index;
            this.promptIndex = promptIndex;
            this.promptLength = prompt.length;
            this.maxNew = maxNew;
            this.cache = cache;
            this.rng = rng;
            this.ids = new int[prompt.length + maxNew];
            System.arraycopy(prompt, 0, ids, 0, prompt.length);
            this.length = prompt.length;
            this.scores = new float[vocab];
        }

        int[] prompt() {
            return Arrays.copyOf(ids, promptLength);
        }
    }
}
