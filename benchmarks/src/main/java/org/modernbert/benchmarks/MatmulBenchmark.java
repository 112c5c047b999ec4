package org.modernbert.benchmarks;

import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.Activation;
import org.modernbert.api.config.AttentionType;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.core.backend.BackendRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The CPU matmul kernels at BERT-base width, measured through the public {@link ModelExecutor} (the
 * kernels are internal to the backend): one step of a random one-layer model with hidden 768 and
 * intermediate 1152, so a token costs Q/K/V 768x2304 + Wo 768x768 + Wi 768x2304 + Wo 1152x768 =
 * 5.01 M multiply-adds, 98+% of the step's arithmetic. Score: milliseconds per step; GFLOP/s =
 * {@code tokens * 10.03e6 / (ms * 1e6)}. {@code tokens} 1 is the decode kernel, 64 the prefill tiles.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MatmulBenchmark {
    static final int HIDDEN = 768;
    static final int INTERMEDIATE = 1152;
    static final int VOCAB = 256;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"F32", "BF16"})
    public WeightFormat dtype;

    @Param({"1", "64"})
    public int tokens;

    private Arena arena;
    private Backend backend;
    private ModelExecutor executor;
    private KvCache cache;
    private List<SequenceInput> step;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        ModernBertDecoderConfig c = ModernBertDecoderConfig.builder()
                .vocabSize(VOCAB).hiddenSize(HIDDEN).numAttentionHeads(12).intermediateSize(INTERMEDIATE)
                .numHiddenLayers(1).layerTypes(List.of(AttentionType.FULL_ATTENTION))
                .maxPositionEmbeddings(128).localAttention(128).globalAttnEveryNLayers(1)
                .globalRopeTheta(160000).localRopeTheta(10000)
                .padTokenId(0).eosTokenId(1).bosTokenId(2).clsTokenId(2).sepTokenId(1)
                .hiddenActivation(Activation.GELU).classifierActivation(Activation.GELU)
                .build();
        Random rnd = new Random(11);
        double ws = 1.0 / Math.sqrt(HIDDEN);
        LayerWeights layer = new LayerWeights(0, c.layerType(0), c.ropeTheta(0), null, null,
                tensor("q", dtype, rnd, ws, 0, HIDDEN, HIDDEN), null,
                tensor("k", dtype, rnd, ws, 0, HIDDEN, HIDDEN), null,
                tensor("v", dtype, rnd, ws, 0, HIDDEN, HIDDEN), null,
                tensor("o", dtype, rnd, ws, 0, HIDDEN, HIDDEN), null,
                tensor("mlp_norm", WeightFormat.F32, rnd, 0.1, 1, HIDDEN), null,
                tensor("wi", dtype, rnd, ws, 0, 2 * INTERMEDIATE, HIDDEN), null,
                tensor("wo", dtype, rnd, 1.0 / Math.sqrt(INTERMEDIATE), 0, HIDDEN, INTERMEDIATE), null);
        ModelWeights weights = new ModelWeights(c, tensor("emb", WeightFormat.F32, rnd, 1, 0, VOCAB, HIDDEN),
                tensor("emb_norm", WeightFormat.F32, rnd, 0.1, 1, HIDDEN), null, List.of(layer),
                tensor("final_norm", WeightFormat.F32, rnd, 0.1, 1, HIDDEN), null, null);
        backend = BackendRegistry.discover().select("cpu").create(BackendOptions.defaults());
        executor = backend.load(weights);
        cache = executor.newCache(tokens);
        step = List.of(SequenceInput.tokens(cache, rnd.ints(tokens, 0, VOCAB).toArray()).withHead(Head.NONE));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
        executor.close();
        backend.close();
        arena.close();
    }

    @Benchmark
    public void step(Blackhole bh) {
        cache.clear();
        bh.consume(executor.step(step));
    }

    private Tensor tensor(String name, WeightFormat type, Random rnd, double std, double mean, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        MemorySegment seg = arena.allocate(n * type.blockBytes(), 64);
        for (long i = 0; i < n; i++) {
            float value = (float) (mean + std * rnd.nextGaussian());
            if (type == WeightFormat.BF16) {
                seg.set(I16_LE, 2 * i, (short) (Float.floatToRawIntBits(value) >>> 16));
            } else {
                seg.set(F32_LE, 4 * i, value);
            }
        }
        return new Tensor(name, type, shape, seg);
    }
}
