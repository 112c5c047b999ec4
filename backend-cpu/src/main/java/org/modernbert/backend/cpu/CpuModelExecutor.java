package org.modernbert.backend.cpu;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.backend.StepInputChecks;
import org.modernbert.api.backend.LogitRanking;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.Activation;
import org.modernbert.api.config.AttentionType;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.backend.cpu.kernel.Attention;
import org.modernbert.backend.cpu.kernel.GatedActivation;
import org.modernbert.backend.cpu.kernel.LayerNorm;
import org.modernbert.backend.cpu.kernel.Rope;
import org.modernbert.backend.cpu.kernel.Gemm;
import org.modernbert.backend.cpu.kernel.Lanes;
import org.modernbert.backend.cpu.kernel.PackedMatrix;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole ModernBERT decoder on the CPU, orchestrating the kernel families of
 * {@code org.modernbert.backend.cpu.kernel}. A step concatenates the new tokens of every sequence
 * into one {@code [tokens x hidden]} activation matrix, so each linear layer is one GEMM over all
 * tokens of all sequences (no padding); the step's keys go into each sequence's {@link CpuKvCache},
 * and attention runs per (sequence, head, block of queries) against it. Scratch buffers are sized
 * once and grown when a larger step arrives. Not thread-safe by contract; {@link #step} is
 * synchronized anyway.
 */
final class CpuModelExecutor implements ModelExecutor {
    private static final Logger LOG = LogManager.getLogger(CpuModelExecutor.class);
    /**
     * Multiply-adds below which handing work to the other threads costs more than it saves. Workers
     * spin between the regions of a step ({@link WorkerPool}), so a hand-off costs a few
     * microseconds, while one core does 2^19 multiply-adds in ~5-15 us; a region of a step that
     * follows a pause (the first of a step) may find them parked, which costs tens of microseconds.
     */
    static final long PARALLEL_MIN_WORK = 1L << 19;
    /**
     * A matrix product over few tokens is bound by streaming its weights from memory, not by its
     * multiply-adds: counted as this many multiply-adds per weight byte, so a decode step's matrices of
     * more than 64 KiB ({@link #PARALLEL_MIN_WORK} / 8) use every core.
     */
    static final long MATMUL_WORK_PER_BYTE = 8;
    /**
     * Packed weights up to this size stay in the last-level cache from one token to the next (16-32 MB
     * of L3 on this machine and on most server parts), so a step of few tokens does not stream them from
     * memory and is weighed by its multiply-adds alone: the bundled 4M model's per-layer products then run
     * on one core instead of paying two hand-offs each, which in a server took the cores from the threads
     * streaming the answers.
     */
    static final long CACHED_WEIGHTS_BYTES = 16L << 20;
    /** Attention per query, key and hidden value: two multiply-adds (scores, values) plus the softmax's share. */
    static final long ATTENTION_WORK = 4;
    /** LayerNorm and RoPE cost about this many multiply-adds' time per value (several passes, a divide). */
    static final long ELEMENTWISE_WORK = 8;

    /**
     * One decoder layer's weights. {@code wi} is packed gated: the GEMM's epilogue writes
     * {@code act(input) * gate} straight into the MLP's hidden activations.
     */
    private record Layer(boolean sliding, Rope rope,
                         float[] attnNorm, float[] attnNormBias,
                         PackedMatrix q, PackedMatrix k, PackedMatrix v, PackedMatrix o,
                         float[] mlpNorm, float[] mlpNormBias,
                         PackedMatrix wi, PackedMatrix mlpOut) {
    }

    private final ModelWeights weights;
    private final WorkerPool pool;
    private final long parallelMinWork;
    /** {@link #MATMUL_WORK_PER_BYTE}, or 0 when the weights fit {@link #CACHED_WEIGHTS_BYTES}. */
    private final long matmulWorkPerByte;
    private final int hidden;
    private final int heads;
    private final int headDim;
    private final int intermediate;
    private final int vocab;
    private final int window;
    private final int maxPositions;
    private final double eps;
    private final float scale;
    private final Activation activation;
    private final Tensor tokenEmbeddings;
    private final float[] embNorm;
    private final float[] embNormBias;
    private final Layer[] layers;
    private final boolean[] slidingLayers;
    private final ExecutorLimits limits;
    private final float[] finalNorm;
    private final float[] finalNormBias;
    private final PackedMatrix headDense;
    private final Activation headActivation;
    private final float[] headNorm;
    private final float[] headNormBias;
    private final PackedMatrix headProjection;
    private boolean closed;

    // per-step scratch, grown on demand
    private int capacity;
    private float[] x;
    private float[] h;
    private float[] q;
    private float[] k;
    private float[] v;
    private float[] attn;
    private float[] gated;
    private float[] headHidden;
    private float[] headOut;
    /** Per worker: the state of one block of queries. */
    private final Attention.Scratch[] attScratch;

    // state of the parallel tasks (set before each dispatch; tasks are created once)
    private final WorkerPool.RangeTask matmulTask = this::matmulRange;
    /** Per worker: the GEMM's tile scratch. */
    private final float[][] gemmScratch;
    private final WorkerPool.RangeTask attentionTask = this::attentionRange;
    private final WorkerPool.RangeTask keyWriteTask = this::keyWriteRange;
    private final WorkerPool.RangeTask normTask = this::normRange;
    private final WorkerPool.RangeTask ropeTask = this::ropeRange;
    private float[] normIn;
    private float[] normOut;
    private float[] normWeight;
    private float[] normBias;
    private Rope ropeNow;
    private int[] ropePositions;
    private float[] mmIn;
    private int mmInOff;
    private int mmInStride;
    private int mmTokens;
    private int mmCount;
    private final PackedMatrix[] mmMatrix = new PackedMatrix[3];
    private final float[][] mmOut = new float[3][];
    private final int[] mmOutStride = new int[3];
    private Gemm.Mode mmMode;
    private int attLayer;
    private CpuKvCache[] attCaches;
    private int[] attOffsets;
    private int[] attLengths;
    /** Per sequence, its first attention unit of the current layer; entry [count] is the total. */
    private int[] attUnits;
    /** Per sequence, per layer {@code [heads * queries * keys]}; null (or null entries) where not asked for. */
    private float[][][] attProbabilities;

    CpuModelExecutor(ModelWeights weights, WorkerPool pool) {
        this(weights, pool, PARALLEL_MIN_WORK);
    }

    /** {@code parallelMinWork} 0 splits every region across the pool (tests of the parallel paths). */
    CpuModelExecutor(ModelWeights weights, WorkerPool pool, long parallelMinWork) {
        this.weights = Objects.requireNonNull(weights, "weights");
        this.pool = pool;
        this.parallelMinWork = parallelMinWork;
        this.gemmScratch = new float[pool.parallelism()][Gemm.SCRATCH_FLOATS];
        ModernBertDecoderConfig c = weights.config();
        hidden = c.hiddenSize();
        heads = c.numAttentionHeads();
        headDim = c.headDim();
        attScratch = new Attention.Scratch[pool.parallelism()];
        for (int w = 0; w < attScratch.length; w++) {
            attScratch[w] = new Attention.Scratch(headDim);
        }
        intermediate = c.intermediateSize();
        vocab = c.vocabSize();
        window = c.slidingWindow();
        maxPositions = c.maxPositionEmbeddings();
        eps = c.normEps();
        scale = (float) (1.0 / Math.sqrt(headDim));
        activation = c.hiddenActivation();
        tokenEmbeddings = matrixTensor(weights.tokenEmbeddings(), "token embeddings", vocab, hidden);
        // the matrices are packed into memory of our own; the embedding rows are read in place, on whatever thread steps
        if (!tokenEmbeddings.data().isAccessibleBy(new Thread(() -> { }))) {
            throw new ModernBertException("tensor " + tokenEmbeddings.name() + " lives in a confined arena, but the CPU backend reads"
                    + " the token embeddings on whichever thread calls step: map the checkpoint in a shared arena");
        }
        embNorm = vector(weights.embeddingNorm(), "embedding norm", hidden);
        embNormBias = optionalVector(weights.embeddingNormBias(), hidden);
        if (weights.layers().size() != c.numHiddenLayers()) {
            throw new ModernBertException("the weights have " + weights.layers().size() + " layers but config.json says num_hidden_layers = "
                    + c.numHiddenLayers());
        }
        Map<Double, Rope> ropes = new HashMap<>();
        layers = new Layer[weights.layers().size()];
        slidingLayers = new boolean[layers.length];
        for (int i = 0; i < layers.length; i++) {
            LayerWeights lw = weights.layers().get(i);
            boolean sliding = lw.attentionType() == AttentionType.SLIDING_ATTENTION;
            slidingLayers[i] = sliding;
            Rope rope = ropes.computeIfAbsent(lw.ropeTheta(), theta -> new Rope(theta, headDim));
            layers[i] = new Layer(sliding, rope,
                    lw.attnNorm() == null ? null : vector(lw.attnNorm(), "layer " + i + " attn_norm", hidden),
                    optionalVector(lw.attnNormBias(), hidden),
                    linear(lw.wq(), lw.bq(), hidden, hidden),
                    linear(lw.wk(), lw.bk(), hidden, hidden),
                    linear(lw.wv(), lw.bv(), hidden, hidden),
                    linear(lw.wo(), lw.bo(), hidden, hidden),
                    vector(lw.mlpNorm(), "layer " + i + " mlp_norm", hidden),
                    optionalVector(lw.mlpNormBias(), hidden),
                    gatedLinear(lw.wi(), lw.bi(), intermediate, hidden),
                    linear(lw.wMlpOut(), lw.bMlpOut(), hidden, intermediate));
        }
        finalNorm = vector(weights.finalNorm(), "final norm", hidden);
        finalNormBias = optionalVector(weights.finalNormBias(), hidden);
        HeadWeights hw = weights.head();
        if (hw != null) {
            headDense = linear(hw.dense(), hw.denseBias(), hidden, hidden);
            headActivation = hw.activation();
            headNorm = vector(hw.norm(), "head norm", hidden);
            headNormBias = optionalVector(hw.normBias(), hidden);
            headProjection = linear(hw.projection(), hw.projectionBias(), hw.outputs(), hidden);
        } else {
            headDense = null;
            headActivation = null;
            headNorm = null;
            headNormBias = null;
            headProjection = null;
        }
        long packedBytes = headDense == null ? 0 : headDense.byteSize() + headProjection.byteSize();
        for (Layer l : layers) {
            packedBytes += l.q.byteSize() + l.k.byteSize() + l.v.byteSize() + l.o.byteSize() + l.wi.byteSize() + l.mlpOut.byteSize();
        }
        matmulWorkPerByte = packedBytes > CACHED_WEIGHTS_BYTES ? MATMUL_WORK_PER_BYTE : 0;
        int fullLayers = 0;
        for (boolean s : slidingLayers) {
            fullLayers += s ? 0 : 1;
        }
        // one float[] per activation matrix: the widest is [tokens x intermediate] or [tokens x hidden]
        int maxTokens = (Integer.MAX_VALUE - 8) / Math.max(intermediate, Math.max(hidden, 1));
        limits = new ExecutorLimits(maxTokens, maxTokens, maxPositions, 2L * fullLayers * hidden * Float.BYTES);
        LOG.debug("CPU executor ready: {} layers, hidden {}, {} threads, {}-bit vectors", layers.length, hidden,
                pool.parallelism(), Lanes.F.vectorBitSize());
    }

    // ------------------------------------------------------------------ weight preparation

    private static Tensor matrixTensor(Tensor t, String what, long rows, long cols) {
        if (t == null) {
            throw new ModernBertException("the " + what + " tensor is missing");
        }
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new ModernBertException("tensor " + t.name() + " (" + what + ") has shape " + Arrays.toString(t.shape())
                    + ", expected [" + rows + ", " + cols + "]");
        }
        return t;
    }

    private PackedMatrix linear(Tensor t, Tensor bias, int out, int in) {
        MemorySegment data = checkedData(t, out, in);
        try {
            return PackedMatrix.pack(data, packedFormat(t), out, in, optionalVector(bias, out));
        } catch (IllegalArgumentException e) {
            throw new ModernBertException("tensor " + t.name() + ": " + e.getMessage());
        }
    }

    private PackedMatrix gatedLinear(Tensor t, Tensor bias, int half, int in) {
        MemorySegment data = checkedData(t, 2 * half, in);
        try {
            return PackedMatrix.packGated(data, packedFormat(t), half, in, optionalVector(bias, 2 * half));
        } catch (IllegalArgumentException e) {
            throw new ModernBertException("tensor " + t.name() + ": " + e.getMessage());
        }
    }

    private MemorySegment checkedData(Tensor t, int out, int in) {
        matrixTensor(t, "linear weight", out, in);
        MemorySegment seg = t.data();
        if (!CpuBackend.FORMATS.contains(t.format())) {
            throw new ModernBertException("tensor " + t.name() + " is " + t.format() + ", which the CPU backend does not execute (it runs "
                    + CpuBackend.FORMATS + "); load through ModernBert, which converts weights to a format the backend runs");
        }
        if (t.format() == WeightFormat.Q8_0 && in % WeightFormat.Q8_0.blockSize() != 0) {
            throw new ModernBertException("tensor " + t.name() + " is Q8_0 with rows of " + in + " values; Q8_0 rows must be whole blocks of "
                    + WeightFormat.Q8_0.blockSize());
        }
        return seg;
    }

    private static PackedMatrix.Format packedFormat(Tensor t) {
        return switch (t.format()) {
            case BF16 -> PackedMatrix.Format.BF16;
            case Q8_0 -> PackedMatrix.Format.Q8_0;
            default -> PackedMatrix.Format.F32;
        };
    }

    private static float[] vector(Tensor t, String what, int n) {
        if (t == null) {
            throw new ModernBertException("the " + what + " tensor is missing");
        }
        return optionalVector(t, n);
    }

    private static float[] optionalVector(Tensor t, int n) {
        if (t == null) {
            return null;
        }
        if (t.rank() != 1 || t.dim(0) != n) {
            throw new ModernBertException("tensor " + t.name() + " has shape " + Arrays.toString(t.shape()) + ", expected [" + n + "]");
        }
        return t.toFloatArray();
    }

    // ------------------------------------------------------------------ ModelExecutor

    @Override
    public ModelWeights weights() {
        return weights;
    }

    @Override
    public ExecutorLimits limits() {
        return limits;
    }

    @Override
    public long cacheBytes(CacheSpec spec) {
        return CpuKvCache.byteSize(spec, slidingLayers, window, hidden);
    }

    @Override
    public synchronized KvCache newCache(CacheSpec spec) {
        checkOpen();
        if (spec.maxLength() > maxPositions) {
            throw new ModernBertException("a KV cache must hold between 1 and max_position_embeddings = " + maxPositions
                    + " positions, got " + spec.maxLength());
        }
        return new CpuKvCache(this, spec, heads, headDim, slidingLayers, window);
    }

    @Override
    public synchronized List<SequenceOutput> step(List<SequenceInput> inputs) {
        checkOpen();
        Objects.requireNonNull(inputs, "inputs");
        if (inputs.isEmpty()) {
            throw new ModernBertException("a step needs at least one sequence");
        }
        int count = inputs.size();
        if (count > limits.maxSequencesPerStep()) {
            throw new ModernBertException("a step of " + count + " sequences exceeds this executor's limit of "
                    + limits.maxSequencesPerStep() + "; split it into smaller steps");
        }
        CpuKvCache[] caches = new CpuKvCache[count];
        int[] offsets = new int[count + 1];
        int[] lengths = new int[count];
        int maxEnd = 0;
        int maxPosition = 0;
        long total = 0;
        boolean anyLayerOutputs = false;
        for (int s = 0; s < count; s++) {
            SequenceInput in = Objects.requireNonNull(inputs.get(s), "sequence input");
            CpuKvCache c = checkCache(in.cache(), s, caches);
            int len = c.length();
            int n = in.length();
            StepInputChecks.tokens(in, s, len, vocab, hidden);
            maxPosition = Math.max(maxPosition, StepInputChecks.positions(in, s, len, maxPositions));
            StepInputChecks.room(in, s, len, c.maxLength());
            StepInputChecks.head(in, s, headProjection == null ? -1 : headProjection.outputs());
            caches[s] = c;
            lengths[s] = len;
            total += n;
            if (total > limits.maxTokensPerStep()) {
                throw new ModernBertException("a step of " + total + "+ tokens exceeds this executor's limit of "
                        + limits.maxTokensPerStep() + " tokens; split it into smaller steps");
            }
            offsets[s + 1] = (int) total;
            maxEnd = Math.max(maxEnd, len + n);
            anyLayerOutputs |= in.hiddenStates() || in.attentions();
        }
        int tokens = (int) total;
        for (int s = 0; s < count; s++) {
            caches[s].ensureCapacity(lengths[s] + offsets[s + 1] - offsets[s]);
        }
        for (Layer l : layers) {
            l.rope.ensure(maxPosition + 1);
        }
        ensureScratch(tokens, count);
        int[] positions = new int[tokens];
        List<List<float[]>> hiddenStates = anyLayerOutputs ? new ArrayList<>(Collections.nCopies(count, null)) : null;
        float[][][] probabilities = anyLayerOutputs ? new float[count][][] : null;

        embed(inputs, offsets, lengths, positions);
        for (int s = 0; s < count && anyLayerOutputs; s++) {
            SequenceInput in = inputs.get(s);
            if (in.hiddenStates()) {
                hiddenStates.set(s, new ArrayList<>(layers.length + 1));
                hiddenStates.get(s).add(rows(x, offsets, s));
            }
            if (in.attentions()) {
                long size = (long) heads * in.length() * (lengths[s] + in.length());
                if (size > Integer.MAX_VALUE - 8) {
                    throw new ModernBertException("sequence " + s + ": attention probabilities of " + heads + " heads x " + in.length()
                            + " queries x " + (lengths[s] + in.length()) + " keys do not fit one float[]; ask for them on shorter steps");
                }
                probabilities[s] = new float[layers.length][(int) size];
            }
        }

        attCaches = caches;
        attOffsets = offsets;
        attLengths = lengths;
        attProbabilities = probabilities;
        try {
            for (int li = 0; li < layers.length; li++) {
                layer(li, tokens, positions, maxEnd);
                if (li < layers.length - 1 && hiddenStates != null) {
                    for (int s = 0; s < count; s++) {
                        if (hiddenStates.get(s) != null) {
                            hiddenStates.get(s).add(rows(x, offsets, s));
                        }
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            // the layers write keys into the caches as they go (over ring slots the cache still holds)
            for (CpuKvCache c : caches) {
                c.markBroken();
            }
            throw e;
        } finally {
            attCaches = null;
            attProbabilities = null;
        }
        layerNorm(x, x, finalNorm, finalNormBias, tokens);
        for (int s = 0; s < count; s++) {
            caches[s].advance(offsets[s + 1] - offsets[s]);
        }
        return outputs(inputs, offsets, hiddenStates, probabilities);
    }

    private CpuKvCache checkCache(KvCache cache, int s, CpuKvCache[] earlier) {
        if (!(cache instanceof CpuKvCache c) || c.owner() != this) {
            throw new ModernBertException("sequence " + s + ": its KV cache was not made by this CPU executor"
                    + " (a cache belongs to the executor whose newCache made it)");
        }
        if (c.isClosed()) {
            throw new ModernBertException("sequence " + s + ": its KV cache is closed");
        }
        if (c.isBroken()) {
            throw new ModernBertException("sequence " + s + ": its KV cache was being written by a step that failed;"
                    + " clear() it or start from a new one");
        }
        for (int j = 0; j < s; j++) {
            if (earlier[j] == c) {
                throw new ModernBertException("sequences " + j + " and " + s + " share one KV cache; each sequence needs its own"
                        + " (fork() makes a copy)");
            }
        }
        return c;
    }

    /** Token rows (or given embeddings) into x, then the embedding LayerNorm; fills the RoPE position of every token. */
    private void embed(List<SequenceInput> inputs, int[] offsets, int[] lengths, int[] positions) {
        for (int s = 0; s < inputs.size(); s++) {
            SequenceInput in = inputs.get(s);
            int[] ids = in.tokenIds();
            for (int p = 0; p < in.length(); p++) {
                int t = offsets[s] + p;
                int row = t * hidden;
                if (ids != null) {
                    long base = (long) ids[p] * hidden;
                    for (int i = 0; i < hidden; i++) {
                        x[row + i] = tokenEmbeddings.getFloat(base + i);
                    }
                } else {
                    System.arraycopy(in.inputsEmbeds().data(), p * hidden, x, row, hidden);
                }
                positions[t] = in.positionIds() != null ? in.positionIds()[p] : lengths[s] + p;
            }
        }
        layerNorm(x, x, embNorm, embNormBias, offsets[inputs.size()]);
    }

    /** One decoder layer over every token of the step, in place on x. */
    private void layer(int li, int tokens, int[] positions, int maxEnd) {
        Layer l = layers[li];
        float[] in = x;
        if (l.attnNorm != null) {
            layerNorm(x, h, l.attnNorm, l.attnNormBias, tokens);
            in = h;
        }
        matmul(in, hidden, tokens, false, l.q, q, hidden, l.k, k, hidden, l.v, v, hidden);
        ropeNow = l.rope;
        ropePositions = positions;
        dispatch(tokens, 1, (long) tokens * hidden * ELEMENTWISE_WORK, ropeTask);
        attLayer = li;
        if (!l.sliding) {
            dispatch(attCaches.length * heads, 1, (long) tokens * hidden, keyWriteTask);
        }
        dispatch(attentionUnits(l.sliding), 1,
                (long) tokens * (l.sliding ? Math.min(maxEnd, window) : maxEnd) * hidden * ATTENTION_WORK, attentionTask);
        matmul1(attn, hidden, tokens, true, l.o, x, hidden);
        layerNorm(x, h, l.mlpNorm, l.mlpNormBias, tokens);
        matmul1(h, hidden, tokens, false, l.wi, gated, intermediate);
        matmul1(gated, intermediate, tokens, true, l.mlpOut, x, hidden);
    }

    private float[] rows(float[] m, int[] offsets, int s) {
        return Arrays.copyOfRange(m, offsets[s] * hidden, offsets[s + 1] * hidden);
    }

    // ------------------------------------------------------------------ outputs and head

    private List<SequenceOutput> outputs(List<SequenceInput> inputs, int[] offsets, List<List<float[]>> hiddenStates,
                                         float[][][] probabilities) {
        int count = inputs.size();
        int[] headRow = headLast(inputs, offsets);
        int outputs = headProjection == null ? 0 : headProjection.outputs();
        List<SequenceOutput> out = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            SequenceInput in = inputs.get(s);
            float[] lastHidden = in.lastHiddenState() ? rows(x, offsets, s) : null;
            List<float[]> layerStates = null;
            if (in.hiddenStates()) {
                layerStates = hiddenStates.get(s);
                layerStates.add(lastHidden != null ? lastHidden : rows(x, offsets, s));
                layerStates = Collections.unmodifiableList(layerStates);
            }
            List<float[]> attentions = in.attentions() ? List.of(probabilities[s]) : null;
            float[] logits = null;
            int argmax = -1;
            int[] topIds = null;
            float[] topLogits = null;
            // the last position's logits sit in headOut; only Head.Last copies them out
            int at = headRow[s] * outputs;
            switch (in.head()) {
                case Head.None none -> { }
                case Head.Last last -> logits = Arrays.copyOfRange(headOut, at, at + outputs);
                case Head.All all -> logits = headAll(offsets, s);
                case Head.Argmax am -> argmax = LogitRanking.argmax(headOut, at, outputs);
                case Head.TopK(int k) -> {
                    topIds = LogitRanking.topK(headOut, at, outputs, k);
                    topLogits = new float[k];
                    for (int i = 0; i < k; i++) {
                        topLogits[i] = headOut[at + topIds[i]];
                    }
                }
            }
            out.add(new SequenceOutput(logits, argmax, topIds, topLogits, lastHidden, layerStates, attentions));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The head on the last new position of every sequence whose head mode reads it (last, argmax,
     * top-k): one matmul over those sequences into {@code headOut}; returns each sequence's row there
     * (-1 for the others).
     */
    private int[] headLast(List<SequenceInput> inputs, int[] offsets) {
        int count = inputs.size();
        int[] row = new int[count];
        int rows = 0;
        for (int s = 0; s < count; s++) {
            row[s] = -1;
            if (readsLastPosition(inputs.get(s).head())) {
                System.arraycopy(x, (offsets[s + 1] - 1) * hidden, h, rows * hidden, hidden);
                row[s] = rows++;
            }
        }
        if (rows == 0) {
            return row;
        }
        headTransform(h, rows);
        int outputs = headProjection.outputs();
        if (headOut == null || headOut.length < rows * outputs) {
            headOut = new float[rows * outputs];
        }
        matmul1(headHidden, hidden, rows, false, headProjection, headOut, outputs);
        return row;
    }

    private static boolean readsLastPosition(Head head) {
        return head instanceof Head.Last || head instanceof Head.Argmax || head instanceof Head.TopK;
    }

    /** The head on every new position of sequence {@code s}, written straight into its result. */
    private float[] headAll(int[] offsets, int s) {
        int n = offsets[s + 1] - offsets[s];
        // headHidden rows 0..n-1 hold this sequence's transformed rows (x is left untouched)
        headTransform(x, offsets[s] * hidden, n);
        int outputs = headProjection.outputs();
        float[] logits = new float[n * outputs];
        matmul1(headHidden, hidden, n, false, headProjection, logits, outputs);
        return logits;
    }

    /** {@code headHidden[r] = LN(act(dense(in[r])))} for rows {@code r < rows}. */
    private void headTransform(float[] in, int rows) {
        headTransform(in, 0, rows);
    }

    private void headTransform(float[] in, int inOff, int rows) {
        matmul1(in, inOff, hidden, rows, false, headDense, headHidden, hidden);
        GatedActivation.activate(headActivation, headHidden, 0, hidden, 0, rows);
        layerNorm(headHidden, headHidden, headNorm, headNormBias, rows);
    }

    // ------------------------------------------------------------------ parallel parts

    private void matmul1(float[] in, int inStride, int tokens, boolean accumulate, PackedMatrix m, float[] out, int outStride) {
        matmul1(in, 0, inStride, tokens, accumulate, m, out, outStride);
    }

    private void matmul1(float[] in, int inOff, int inStride, int tokens, boolean accumulate, PackedMatrix m, float[] out, int outStride) {
        mmCount = 1;
        mmMatrix[0] = m;
        mmOut[0] = out;
        mmOutStride[0] = outStride;
        runMatmul(in, inOff, inStride, tokens, accumulate);
    }

    /** Three matrices over the same input (Q, K, V) as one parallel region over their panel pairs. */
    private void matmul(float[] in, int inStride, int tokens, boolean accumulate,
                        PackedMatrix a, float[] outA, int strideA, PackedMatrix b, float[] outB, int strideB,
                        PackedMatrix c, float[] outC, int strideC) {
        mmCount = 3;
        mmMatrix[0] = a;
        mmOut[0] = outA;
        mmOutStride[0] = strideA;
        mmMatrix[1] = b;
        mmOut[1] = outB;
        mmOutStride[1] = strideB;
        mmMatrix[2] = c;
        mmOut[2] = outC;
        mmOutStride[2] = strideC;
        runMatmul(in, 0, inStride, tokens, accumulate);
    }

    private void runMatmul(float[] in, int inOff, int inStride, int tokens, boolean accumulate) {
        mmIn = in;
        mmInOff = inOff;
        mmInStride = inStride;
        mmTokens = tokens;
        mmMode = accumulate ? Gemm.Mode.ACCUMULATE : Gemm.Mode.STORE;
        int pairs = 0;
        long bytes = 0;
        for (int i = 0; i < mmCount; i++) {
            pairs += mmMatrix[i].pairs();
            bytes += mmMatrix[i].byteSize();
        }
        // a step of few tokens streams weights that do not fit the cache from memory: worth both cores once there are enough bytes
        long work = Math.max((long) tokens * pairs * 2 * Lanes.LANES * mmMatrix[0].in(), bytes * matmulWorkPerByte);
        // chunks of 4 pairs: a single token's tile streams four at once
        dispatch(pairs, 4, work, matmulTask);
        mmIn = null;
        Arrays.fill(mmOut, null);
    }

    private void dispatch(int units, int align, long work, WorkerPool.RangeTask task) {
        if (work < parallelMinWork) {
            task.run(0, units, 0);
        } else {
            pool.run(units, align, task);
        }
    }

    private void matmulRange(int start, int end, int worker) {
        int base = 0;
        for (int i = 0; i < mmCount; i++) {
            PackedMatrix m = mmMatrix[i];
            int from = Math.max(start, base) - base;
            int to = Math.min(end, base + m.pairs()) - base;
            if (from < to) {
                Gemm.multiply(m, mmIn, mmInOff, mmInStride, mmTokens, mmOut[i], 0, mmOutStride[i], from, to, mmMode,
                        activation, gemmScratch[worker]);
            }
            base += m.pairs();
        }
    }

    /** LayerNorm of the first {@code rows} rows of {@code in} into {@code out} (which may be {@code in}), split by rows. */
    private void layerNorm(float[] in, float[] out, float[] weight, float[] bias, int rows) {
        normIn = in;
        normOut = out;
        normWeight = weight;
        normBias = bias;
        dispatch(rows, 1, (long) rows * hidden * ELEMENTWISE_WORK, normTask);
    }

    private void normRange(int start, int end, int worker) {
        LayerNorm.apply(normIn, 0, normOut, 0, hidden, normWeight, normBias, eps, start, end);
    }

    private void ropeRange(int start, int end, int worker) {
        ropeNow.apply(q, k, hidden, heads, ropePositions, start, end);
    }

    /**
     * Numbers the attention units of the current layer: per sequence, per head, {@link Attention#units}
     * (query blocks on full layers, whose keys are all in the cache before any block runs; one on
     * sliding layers, whose blocks go in order because each block's keys overwrite ring slots).
     */
    private int attentionUnits(boolean sliding) {
        int count = attCaches.length;
        attUnits[0] = 0;
        for (int s = 0; s < count; s++) {
            attUnits[s + 1] = attUnits[s] + heads * Attention.units(attOffsets[s + 1] - attOffsets[s], sliding);
        }
        return attUnits[count];
    }

    /** Full layers: units are (sequence, head); the step's keys and values go into the cache. */
    private void keyWriteRange(int start, int end, int worker) {
        for (int unit = start; unit < end; unit++) {
            int s = unit / heads;
            int head = unit % heads;
            CpuKvCache c = attCaches[s];
            int off = attOffsets[s];
            Attention.write(k, v, off * hidden + head * headDim, hidden, attOffsets[s + 1] - off, attLengths[s], headDim, 0,
                    c.keys(attLayer, head), c.values(attLayer, head));
        }
    }

    /**
     * Units from {@link #attentionUnits}. A full-layer unit is one block of queries of one (sequence,
     * head) against keys already in the cache. A sliding-layer unit is a whole (sequence, head): block
     * by block, it writes the block's keys into the ring and then runs its queries (the ring has room
     * for the window plus a block, so no key a query needs is overwritten before it runs). Where the
     * probabilities are asked for, they go to {@code [head][query][key]} with zeros outside the mask.
     */
    private void attentionRange(int start, int end, int worker) {
        Attention.Scratch sc = attScratch[worker];
        boolean sliding = layers[attLayer].sliding;
        int win = sliding ? window : 0;
        int s = 0;
        while (attUnits[s + 1] <= start) {
            s++;
        }
        for (int unit = start; unit < end; unit++) {
            while (attUnits[s + 1] <= unit) {
                s++;
            }
            int off = attOffsets[s];
            int n = attOffsets[s + 1] - off;
            int len = attLengths[s];
            int per = Attention.units(n, sliding);
            int head = (unit - attUnits[s]) / per;
            int block = (unit - attUnits[s]) % per;
            CpuKvCache c = attCaches[s];
            float[] keys = c.keys(attLayer, head);
            float[] vals = c.values(attLayer, head);
            int ring = c.ringSlots(attLayer);
            float[] probs = attProbabilities == null || attProbabilities[s] == null ? null : attProbabilities[s][attLayer];
            int keysTotal = len + n;
            int from = sliding ? 0 : block * Attention.BLOCK;
            int to = sliding ? n : Math.min(n, from + Attention.BLOCK);
            for (int t = from; t < to; t += Attention.BLOCK) {
                int count = Math.min(Attention.BLOCK, to - t);
                int row = (off + t) * hidden + head * headDim;
                if (sliding) {
                    Attention.write(k, v, row, hidden, count, len + t, headDim, ring, keys, vals);
                }
                Attention.attend(q, row, hidden, len + t, count, win, keys, vals, ring, headDim, scale,
                        attn, row, hidden, probs, (head * n + t) * keysTotal, keysTotal, sc);
            }
        }
    }

    private void ensureScratch(int tokens, int sequences) {
        if (tokens > capacity) {
            int cap = Math.min(limits.maxTokensPerStep(), Math.max(tokens, capacity + capacity / 2));
            x = new float[cap * hidden];
            h = new float[cap * hidden];
            q = new float[cap * hidden];
            k = new float[cap * hidden];
            v = new float[cap * hidden];
            attn = new float[cap * hidden];
            gated = new float[cap * intermediate];
            headHidden = headProjection == null ? null : new float[cap * hidden];
            capacity = cap;
        }
        if (attUnits == null || attUnits.length < sequences + 1) {
            attUnits = new int[sequences + 1];
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new ModernBertException("this CPU model executor is closed");
        }
        if (pool.isClosed()) {
            throw new ModernBertException("the CPU backend that loaded this model is closed");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
