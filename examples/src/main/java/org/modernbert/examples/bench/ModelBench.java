package org.modernbert.examples.bench;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.core.sampling.Sampler;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times a loaded model through {@link ModelExecutor#step} only, as the generator drives it: a prefill on a
 * fresh cache, greedy decoding of one sequence, and of {@code batch} sequences stepped together. Token ids are
 * pseudo-random in the vocabulary with a fixed seed, so runs are comparable.
 */
public final class ModelBench {
    /** Tokens of the (untimed) prompt before the decode runs. */
    public static final int DECODE_PROMPT_TOKENS = 16;
    private static final long SEED = 20240601L;

    /** What to run; validated by the command against the flags and by {@link #check} against the executor. */
    public record Settings(int promptTokens, int newTokens, int batch, int repetitions, int warmup) {
    }

    /**
     * Seconds of each timed repetition: the prefill step, the prefill step plus picking the first token
     * (argmax of the returned logits), {@code newTokens} decode steps of one sequence, and of {@code batch}.
     */
    public record Timings(double[] prefillSeconds, double[] firstTokenSeconds, double[] decodeSeconds, double[] batchSeconds) {
    }

    private final ModelExecutor executor;
    private final Settings settings;
    private final int vocab;
    private final SplittableRandom random = new SplittableRandom(SEED);
    private final int[] prompt;
    private final int[][] decodePrompts;

    public ModelBench(ModelExecutor executor, Settings settings) {
        this.executor = executor;
        this.settings = settings;
        this.vocab = executor.weights().config().vocabSize();
        this.prompt = ids(settings.promptTokens());
        this.decodePrompts = new int[settings.batch()][];
        for (int s = 0; s < settings.batch(); s++) {
            decodePrompts[s] = ids(DECODE_PROMPT_TOKENS);
        }
    }

    /** Refuses settings the executor cannot take in one step or one cache, naming the flag. */
    public static void check(ExecutorLimits limits, String backend, Settings s) {
        if (s.promptTokens() > limits.maxTokensPerStep() || s.promptTokens() > limits.maxCachePositions()) {
            throw new ModernBertException("--prompt-tokens " + s.promptTokens() + " is more than backend " + backend
                    + " takes in one step (" + Math.min(limits.maxTokensPerStep(), limits.maxCachePositions()) + " tokens)");
        }
        if (DECODE_PROMPT_TOKENS + s.newTokens() > limits.maxCachePositions()) {
            throw new ModernBertException("--new-tokens " + s.newTokens() + " after the " + DECODE_PROMPT_TOKENS
                    + "-token decode prompt needs more positions than backend " + backend + " caches ("
                    + limits.maxCachePositions() + "); expected at most " + (limits.maxCachePositions() - DECODE_PROMPT_TOKENS));
        }
        if (s.batch() > limits.maxSequencesPerStep()) {
            throw new ModernBertException("--batch " + s.batch() + " is more sequences than backend " + backend
                    + " steps at once (" + limits.maxSequencesPerStep() + ")");
        }
    }

    public Timings run() {
        int reps = settings.repetitions();
        double[] prefill = new double[reps];
        double[] firstToken = new double[reps];
        double[] decode = new double[reps];
        double[] batch = new double[reps];
        for (int i = 0; i < settings.warmup(); i++) {
            prefill(new double[2]);
        }
        for (int i = 0; i < reps; i++) {
            double[] t = new double[2];
            prefill(t);
            prefill[i] = t[0];
            firstToken[i] = t[1];
        }
        for (int i = 0; i < settings.warmup(); i++) {
            decode(1);
        }
        for (int i = 0; i < reps; i++) {
            decode[i] = decode(1);
        }
        for (int i = 0; i < settings.warmup(); i++) {
            decode(settings.batch());
        }
        for (int i = 0; i < reps; i++) {
            batch[i] = decode(settings.batch());
        }
        return new Timings(prefill, firstToken, decode, batch);
    }

    /** One prefill on a fresh cache: {@code t[0]} the step, {@code t[1]} the step plus the argmax of its logits. */
    private void prefill(double[] t) {
        try (KvCache cache = executor.newCache(CacheSpec.of(prompt.length))) {
            List<SequenceInput> step = List.of(SequenceInput.tokens(cache, prompt.clone()).withHead(Head.LAST));
            long t0 = System.nanoTime();
            float[] logits = executor.step(step).getFirst().logits();
            long t1 = System.nanoTime();
            int token = Sampler.argmax(logits);
            long t2 = System.nanoTime();
            if (token < 0 || token >= logits.length) {
                throw new IllegalStateException("argmax " + token + " outside the logits");
            }
            t[0] = (t1 - t0) / 1e9;
            t[1] = (t2 - t0) / 1e9;
        }
    }

    /**
     * {@code sequences} sequences, each after its untimed {@value #DECODE_PROMPT_TOKENS}-token prompt, decode
     * {@code newTokens} greedy tokens together (one step per token, the argmax fed back); returns the seconds of
     * those steps.
     */
    private double decode(int sequences) {
        List<KvCache> caches = new ArrayList<>(sequences);
        try {
            int[] next = new int[sequences];
            for (int s = 0; s < sequences; s++) {
                KvCache cache = executor.newCache(CacheSpec.of(DECODE_PROMPT_TOKENS + settings.newTokens()));
                caches.add(cache);
                SequenceInput in = SequenceInput.tokens(cache, decodePrompts[s].clone()).withHead(Head.ARGMAX);
                next[s] = executor.step(List.of(in)).getFirst().argmax();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < settings.newTokens(); i++) {
                List<SequenceInput> step = new ArrayList<>(sequences);
                for (int s = 0; s < sequences; s++) {
                    step.add(SequenceInput.tokens(caches.get(s), next[s]).withHead(Head.ARGMAX));
                }
                List<SequenceOutput> out = executor.step(step);
                for (int s = 0; s < sequences; s++) {
                    next[s] = out.get(s).argmax();
                }
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            KvCache.closeAll(caches);
        }
    }

    private int[] ids(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = random.nextInt(vocab);
        }
        return ids;
    }
}
