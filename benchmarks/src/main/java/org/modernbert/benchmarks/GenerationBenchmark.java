package org.modernbert.benchmarks;

import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.core.ModernBert;
import org.modernbert.core.sampling.Sampler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Whole-model throughput of the {@code cpu} backend on a real checkpoint (the bundled BF16
 * kjv-mbd-4m, or {@code -Dmodernbert.benchModel=DIR}), driven through {@link ModelExecutor} steps
 * exactly as the generator drives them. Scores are tokens per second:
 * <ul>
 *   <li>{@code prefill}: one step of a 128-token prompt, logits for the last position;</li>
 *   <li>{@code decode}: 64 greedy tokens, one step each, after an 8-token prompt (prompt not timed);</li>
 *   <li>{@code batchedDecode}: the same for 8 sequences (prompts of 5..12 tokens) stepped together.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class GenerationBenchmark {
    static final int PREFILL_TOKENS = 128;
    static final int DECODE_TOKENS = 64;
    static final int BATCH = 8;

    /** Backend threads; 0 = one per core ({@code -p threads=1,0} compares single-threaded with all cores). */
    @Param({"0"})
    public int threads;

    /** Weight format: "stored" keeps the checkpoint's, else quantize at load ({@code -p weights=stored,q8_0}). */
    @Param({"stored"})
    public String weights;

    private CausalLanguageModel model;
    private ModelExecutor executor;
    private int vocab;
    private int[] longPrompt;
    private final List<int[]> shortPrompts = new ArrayList<>();
    // decode state, reset before every invocation
    private final KvCache[] caches = new KvCache[BATCH];
    private final int[] next = new int[BATCH];

    @Setup(Level.Trial)
    public void load() {
        BackendOptions options = BackendOptions.defaults().withThreads(threads);
        if (!weights.equals("stored")) {
            options = options.withQuantize(WeightFormat.fromName(weights));
        }
        model = ModernBert.loadCausalLM(BenchModels.modelDir(), "cpu", options);
        executor = model.executor();
        vocab = model.config().vocabSize();
        Random random = new Random(7);
        longPrompt = random.ints(PREFILL_TOKENS, 0, vocab).toArray();
        for (int s = 0; s < BATCH; s++) {
            shortPrompts.add(random.ints(5 + s, 0, vocab).toArray());
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        model.close();
    }

    /** Fresh caches holding the prompts, and each sequence's first greedy token (not timed). */
    @Setup(Level.Invocation)
    public void prompt() {
        List<SequenceInput> steps = new ArrayList<>(BATCH);
        for (int s = 0; s < BATCH; s++) {
            if (caches[s] != null) {
                caches[s].close();
            }
            caches[s] = executor.newCache(shortPrompts.get(s).length + DECODE_TOKENS + 1);
            steps.add(SequenceInput.tokens(caches[s], shortPrompts.get(s)));
        }
        List<SequenceOutput> r = executor.step(steps);
        for (int s = 0; s < BATCH; s++) {
            next[s] = Sampler.argmax(r.get(s).logits());
        }
    }

    @Benchmark
    @OperationsPerInvocation(PREFILL_TOKENS)
    public void prefill(Blackhole bh) {
        try (KvCache cache = executor.newCache(PREFILL_TOKENS)) {
            List<SequenceOutput> r = executor.step(List.of(SequenceInput.tokens(cache, longPrompt)));
            bh.consume(r.getFirst().logits());
        }
    }

    @Benchmark
    @OperationsPerInvocation(DECODE_TOKENS)
    public void decode(Blackhole bh) {
        int token = next[0];
        int[] ids = new int[1];
        List<SequenceInput> step = List.of(SequenceInput.tokens(caches[0], ids));
        for (int i = 0; i < DECODE_TOKENS; i++) {
            ids[0] = token;
            token = Sampler.argmax(executor.step(step).getFirst().logits());
        }
        bh.consume(token);
    }

    @Benchmark
    @OperationsPerInvocation(DECODE_TOKENS * BATCH)
    public void batchedDecode(Blackhole bh) {
        int[][] ids = new int[BATCH][1];
        List<SequenceInput> steps = new ArrayList<>(BATCH);
        for (int s = 0; s < BATCH; s++) {
            ids[s][0] = next[s];
            steps.add(SequenceInput.tokens(caches[s], ids[s]));
        }
        for (int i = 0; i < DECODE_TOKENS; i++) {
            List<SequenceOutput> out = executor.step(steps);
            for (int s = 0; s < BATCH; s++) {
                ids[s][0] = Sampler.argmax(out.get(s).logits());
            }
        }
        bh.consume(ids);
    }

}
