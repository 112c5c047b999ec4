package org.modernbert.backend.tornado;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.DeviceInfo;
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
import org.modernbert.backend.tornado.kernel.Activations;
import org.modernbert.backend.tornado.kernel.Attention;
import org.modernbert.backend.tornado.kernel.Embedding;
import org.modernbert.backend.tornado.kernel.Formats;
import org.modernbert.backend.tornado.kernel.MatMul;
import org.modernbert.backend.tornado.kernel.Norms;
import org.modernbert.backend.tornado.kernel.Rope;
import org.modernbert.backend.tornado.kernel.Rows;
import org.modernbert.backend.tornado.kernel.Step;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole ModernBERT decoder as one TornadoVM execution plan, GPULlama3's shape: graph 0 embeds
 * the step's tokens, one graph per layer, a last graph applies the final norm and the head; a fork
 * is a copy task at the start of each layer graph (a pass with no tokens). Weights go to the device
 * once ({@code FIRST_EXECUTION}); the
 * activations and the KV pools stay there, handed from graph to graph with
 * {@code persistOnDevice}/{@code consumeFromDevice}; each step sends only its metadata (token ids,
 * sequence of each token, positions, cache slots: small IntArrays) and the inputs_embeds buffer
 * ({@code maxTokens x hidden} floats, sent every pass whether used or not), and
 * sets the global sizes of every task from its token count. What comes back is what the heads ask
 * for: one int per sequence for argmax; logits, hidden states and attention probabilities are
 * fetched on demand ({@code UNDER_DEMAND}) only in the steps that ask for them.
 *
 * <p>A step's tokens are one ragged batch: every matrix product runs over all of them at once.
 * Not thread-safe by contract; {@link #step} is synchronized anyway.
 */
final class TornadoModelExecutor implements ModelExecutor {
    private static final Logger LOG = LogManager.getLogger(TornadoModelExecutor.class);
    /** Most tokens of one step (inputs_embeds rows of that many travel each step, so keep it modest). */
    private final int maxTokens = positiveIntProperty("modernbert.tornado.maxTokens", 128);
    static final int MAX_SEQUENCES = 16;
    /** Attention probabilities of one step, all sequences and layers together, at most this many floats per layer. */
    private final int probsCapacity = positiveIntProperty("modernbert.tornado.probsFloats", 1 << 20);
    /** With -Dmodernbert.tornado.profile=true, TornadoVM's profiler splits each step's time; the totals are logged at close. */
    static final boolean PROFILE = Boolean.getBoolean("modernbert.tornado.profile");
    private static final int ELEMENT_LOCAL = 32;
    /**
     * Matrix products as one work-item per output on CPU devices (PoCL runs work-groups with barriers
     * slowly) and one work-group per output with a local-memory reduction elsewhere;
     * -Dmodernbert.tornado.matmul=item|group overrides.
     */
    private final boolean matmulPerItem;
    private static final int MATMUL_LOCAL = 32;
    private static final int ARGMAX_LOCAL = 256;

    /** A task's work size: {@code max(1, counts[countIdx]) * perCount} work-items, rounded up to the local size. */
    private record Sized(WorkerGrid1D grid, int countIdx, int perCount, int local) {
    }

    private final ModelWeights weights;
    private final DeviceInfo info;
    private final int hidden;
    private final int heads;
    private final int headDim;
    private final int intermediate;
    private final int vocab;
    private final int window;
    private final int maxPositions;
    private final int layerCount;
    private final boolean[] sliding;
    private final int fullLayers;
    private final int slidingLayers;
    private final int outputs;
    private final boolean hasHead;
    private final ExecutorLimits limits;
    private final SlotPool fullPool;
    private final SlotPool slidePool;

    // step metadata (every execution) and device-resident state
    private final KernelContext ctx = new KernelContext();
    private final IntArray counts = new IntArray(Step.COUNTS);
    private final IntArray tokenMeta = new IntArray(maxTokens * Step.TOKEN_FIELDS);
    private final IntArray seqMeta = new IntArray(MAX_SEQUENCES * Step.SEQ_FIELDS);
    private final IntArray headRows = new IntArray(maxTokens);
    private final IntArray argmax = new IntArray(maxTokens);
    private final FloatArray given;
    private final FloatArray x;
    private final FloatArray h;
    private final FloatArray q;
    private final FloatArray k;
    private final FloatArray v;
    private final FloatArray attn;
    private final FloatArray up;
    private final FloatArray gated;
    /** Keys and values of every cache of every layer: each layer owns a region of slots ({@link #layerSlot}). */
    private final FloatArray kPool;
    private final FloatArray vPool;
    private final FloatArray embedOut;
    private final FloatArray[] layerOut;
    private final FloatArray[] probs;
    private final FloatArray finalOut;
    private final FloatArray headIn;
    private final FloatArray headHidden;
    private final FloatArray logits;

    private final List<Sized> sized = new ArrayList<>();
    private final GridScheduler scheduler = new GridScheduler();
    private final TornadoExecutionPlan plan;
    private final long deviceBytes;
    private boolean closed;
    /** Profile totals (nanoseconds, as TornadoVM reports them): [passes, graph runs, wall, total, kernels, kernel dispatch, transfers, transfer dispatch, bytes in, bytes out]. */
    private final long[] profile = new long[10];

    TornadoModelExecutor(ModelWeights weights, DeviceInfo info, TornadoDevice device) {
        this.weights = Objects.requireNonNull(weights, "weights");
        this.info = info;
        String matmulKind = System.getProperty("modernbert.tornado.matmul", info.name().endsWith(" CPU]") ? "item" : "group");
        this.matmulPerItem = matmulKind.equals("item");
        ModernBertDecoderConfig c = weights.config();
        hidden = c.hiddenSize();
        heads = c.numAttentionHeads();
        headDim = c.headDim();
        intermediate = c.intermediateSize();
        vocab = c.vocabSize();
        window = c.slidingWindow();
        maxPositions = c.maxPositionEmbeddings();
        layerCount = weights.layers().size();
        if (headDim > Attention.MAX_HEAD_DIM || headDim % 2 != 0) {
            throw new ModernBertException("the TornadoVM kernels take an even head dimension up to " + Attention.MAX_HEAD_DIM + ", this model has "
                    + headDim);
        }
        sliding = new boolean[layerCount];
        int full = 0;
        for (LayerWeights lw : weights.layers()) {
            sliding[lw.index()] = lw.attentionType() == AttentionType.SLIDING_ATTENTION;
            full += sliding[lw.index()] ? 0 : 1;
        }
        fullLayers = full;
        slidingLayers = layerCount - full;
        HeadWeights hw = weights.head();
        hasHead = hw != null;
        outputs = hasHead ? hw.outputs() : 0;

        // KV pools: every cache takes its slots from these, so their size bounds the caches alive at once
        int poolPositions = positiveIntProperty("modernbert.tornado.cachePositions", 4 * maxPositions);
        fullPool = new SlotPool(fullLayers == 0 ? 1 : poolPositions + 1);
        slidePool = new SlotPool(slidingLayers == 0 ? 1 : poolPositions + 1);
        int rows = maxTokens;
        given = new FloatArray(rows * hidden);
        x = new FloatArray(rows * hidden);
        h = new FloatArray(rows * hidden);
        q = new FloatArray(rows * hidden);
        k = new FloatArray(rows * hidden);
        v = new FloatArray(rows * hidden);
        attn = new FloatArray(rows * hidden);
        up = new FloatArray(rows * 2 * intermediate);
        gated = new FloatArray(rows * intermediate);
        long poolFloats = ((long) fullLayers * fullPool.slots() + (long) slidingLayers * slidePool.slots()) * hidden;
        if (poolFloats > Integer.MAX_VALUE - 8) {
            throw new ModernBertException("a KV pool of " + poolPositions + " positions needs " + poolFloats
                    + " floats per array, more than one device array holds; lower -Dmodernbert.tornado.cachePositions");
        }
        kPool = new FloatArray((int) poolFloats);
        vPool = new FloatArray((int) poolFloats);
        kPool.init(0);
        vPool.init(0);
        embedOut = new FloatArray(rows * hidden);
        layerOut = new FloatArray[layerCount];
        probs = new FloatArray[layerCount];
        for (int l = 0; l < layerCount; l++) {
            layerOut[l] = new FloatArray(rows * hidden);
            probs[l] = new FloatArray(probsCapacity);
        }
        finalOut = new FloatArray(rows * hidden);
        headIn = new FloatArray(rows * hidden);
        headHidden = new FloatArray(rows * hidden);
        logits = new FloatArray(rows * Math.max(1, outputs));
        // a cache longer than the pool could never be placed, so the limit says so up front
        int longestCache = fullLayers == 0 ? maxPositions : Math.min(maxPositions, poolPositions);
        limits = new ExecutorLimits(MAX_SEQUENCES, maxTokens, longestCache, 2L * fullLayers * hidden * Float.BYTES);

        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        long bytes = activationBytes();
        bytes += 4L * (kPool.getSize() + vPool.getSize());
        Built embed = embedGraph();
        graphs.add(embed.graph);
        bytes += embed.bytes;
        for (int l = 0; l < layerCount; l++) {
            Built layer = layerGraph(l);
            graphs.add(layer.graph);
            bytes += layer.bytes;
        }
        Built head = headGraph();
        graphs.add(head.graph);
        bytes += head.bytes;
        deviceBytes = bytes;
        checkMemory(bytes, info, System.getProperty("tornado.device.memory", "4GB"));
        plan = new TornadoExecutionPlan(graphs.toArray(new ImmutableTaskGraph[0]));
        plan.withDevice(device);
        try {
            if (PROFILE) {
                plan.withProfiler(ProfilerMode.SILENT);
            }
            warmUp();
        } catch (RuntimeException | Error e) {
            try {
                plan.close(); // frees what the warm-up put on the device
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        Arrays.fill(profile, 0);
        LOG.info("TornadoVM executor ready on {}: {} layers, hidden {}, {} MB on the device", info.name(), layerCount, hidden,
                bytes >> 20);
    }

    private long activationBytes() {
        long floats = given.getSize() + x.getSize() + h.getSize() + q.getSize() + k.getSize() + v.getSize() + attn.getSize() + up.getSize()
                + gated.getSize() + embedOut.getSize() + finalOut.getSize() + headIn.getSize() + headHidden.getSize() + logits.getSize();
        for (int l = 0; l < layerCount; l++) {
            floats += layerOut[l].getSize() + probs[l].getSize();
        }
        return 4 * floats;
    }

    /**
     * Refuses, with the numbers, a model that does not fit the device or TornadoVM's device heap
     * ({@code heap}: the tornado.device.memory setting, TornadoVM's default 4GB).
     */
    static void checkMemory(long bytes, DeviceInfo info, String heapSetting) {
        if (info.memoryBytes() > 0 && bytes > info.memoryBytes()) {
            throw new ModernBertException("the model needs about " + mb(bytes) + " MB on " + info.id() + " (weights, KV pools, activations) but the device has "
                    + mb(info.memoryBytes()) + " MB; lower -Dmodernbert.tornado.cachePositions or quantize the weights (--quantize q8_0)");
        }
        String heap = heapSetting.trim().toUpperCase(java.util.Locale.ROOT);
        long limit = parseSize(heap);
        if (limit <= 0) {
            throw new ModernBertException("tornado.device.memory=" + heapSetting + " is not a size this backend can check against;"
                    + " write it as TornadoVM documents it, e.g. 4GB or 512MB");
        }
        if (bytes > limit) {
            throw new ModernBertException("the model needs about " + mb(bytes) + " MB on the device but TornadoVM reserves " + heap
                    + " (tornado.device.memory); run with -Dtornado.device.memory=" + ((bytes >> 30) + 1) + "GB");
        }
    }

    /** A size as TornadoVM parses {@code tornado.device.memory}: digits, then B or KB, MB, GB, TB, ...; -1 when it is not one. */
    static long parseSize(String s) {
        try {
            if (s.endsWith("B") && s.length() > 1) {
                int prefix = "KMGTPE".indexOf(s.charAt(s.length() - 2));
                String digits = s.substring(0, s.length() - (prefix >= 0 ? 2 : 1)).trim();
                return Long.parseLong(digits) << (prefix >= 0 ? 10 * (prefix + 1) : 0);
            }
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A positive integer system property, or a one-line error naming it. */
    private static int positiveIntProperty(String name, int defaultValue) {
        String value = System.getProperty(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ModernBertException("-D" + name + "=" + value + ": expected a positive integer");
    }

    private static long mb(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    // ------------------------------------------------------------------ graphs

    /**
     * Which graph last held each device-resident object. TornadoVM allocates an object only in
     * graphs whose tasks use it, so a graph declares only what its tasks use: the first user
     * transfers it in, later users consume it from its last holder, and every user persists it.
     */
    private final Map<Object, String> holder = new IdentityHashMap<>();
    private final List<Object> holding = new ArrayList<>();

    /** Declares resident objects the tasks of {@code g} use; {@code mode} is how the first user transfers them in. */
    private void resident(TaskGraph g, int mode, Object... objects) {
        for (Object o : objects) {
            String from = holder.get(o);
            if (from == null) {
                g.transferToDevice(mode, o);
            } else {
                g.consumeFromDevice(from, o);
            }
            holding.add(o);
        }
    }

    /** Persists what {@link #resident} declared for {@code g}, which now holds it. */
    private void persist(TaskGraph g) {
        g.persistOnDevice(holding.toArray());
        for (Object o : holding) {
            holder.put(o, g.getTaskGraphName());
        }
        holding.clear();
    }

    private record Built(ImmutableTaskGraph graph, long bytes) {
    }

    /** Registers the work size of task {@code graph.task}. */
    private void size(String graph, String task, int countIdx, int perCount, int local) {
        WorkerGrid1D grid = new WorkerGrid1D(local);
        grid.setLocalWork(local, 1, 1);
        scheduler.addWorkerGrid(graph + "." + task, grid);
        sized.add(new Sized(grid, countIdx, perCount, local));
    }

    private static int normLocal(int width) {
        int local = 32;
        while (local < width && local < Norms.MAX_LOCAL) {
            local *= 2;
        }
        return local;
    }

    private void layerNorm(TaskGraph g, String id, int countIdx, FloatArray in, FloatArray out, FloatArray w, FloatArray b, FloatArray none) {
        int local = normLocal(hidden);
        g.task(id, Norms::layerNorm, ctx, counts, countIdx, in, out, w, b == null ? none : b, b == null ? 0 : 1, hidden,
                (float) weights.config().normEps());
        size(g.getTaskGraphName(), id, countIdx, local, local);
    }

    private void matmul(TaskGraph g, String id, int countIdx, FloatArray in, int inStride, FloatArray out, int outStride, DeviceMatrix m,
                        boolean accumulate, FloatArray none, FloatArray pow2) {
        FloatArray bias = m.bias() == null ? none : m.bias();
        int hasBias = m.bias() == null ? 0 : 1;
        int acc = accumulate ? 1 : 0;
        if (matmulPerItem) {
            switch (m.format()) {
                case F32 -> g.task(id, MatMul::f32Item, ctx, counts, countIdx, in, inStride, out, outStride, m.f32(), bias, hasBias, acc, m.rows(),
                        m.cols());
                case BF16, F16 -> g.task(id, MatMul::bits16Item, ctx, counts, countIdx, in, inStride, out, outStride, m.half(), m.halfFormat(), pow2,
                        bias, hasBias, acc, m.rows(), m.cols());
                case Q8_0 -> g.task(id, MatMul::q8Item, ctx, counts, countIdx, in, inStride, out, outStride, m.quants(), m.scales(), bias, hasBias,
                        acc, m.rows(), m.cols());
            }
            size(g.getTaskGraphName(), id, countIdx, m.rows(), ELEMENT_LOCAL);
            return;
        }
        switch (m.format()) {
            case F32 -> g.task(id, MatMul::f32, ctx, counts, countIdx, in, inStride, out, outStride, m.f32(), bias, hasBias, acc, m.rows(), m.cols());
            case BF16, F16 -> g.task(id, MatMul::bits16, ctx, counts, countIdx, in, inStride, out, outStride, m.half(), m.halfFormat(), pow2, bias, hasBias,
                    acc, m.rows(), m.cols());
            case Q8_0 -> g.task(id, MatMul::q8, ctx, counts, countIdx, in, inStride, out, outStride, m.quants(), m.scales(), bias, hasBias, acc,
                    m.rows(), m.cols());
        }
        size(g.getTaskGraphName(), id, countIdx, m.rows() * MATMUL_LOCAL, MATMUL_LOCAL);
    }

    private DeviceMatrix matrix(Tensor t, Tensor bias, int rows, int cols) {
        if (!TornadoBackend.FORMATS.contains(t.format())) {
            throw new ModernBertException("tensor " + t.name() + " is " + t.format() + ", which the TornadoVM backend does not execute (it runs "
                    + TornadoBackend.FORMATS + ")");
        }
        return DeviceMatrix.of(t, bias, rows, cols);
    }

    /** Graph 0: the step's metadata in, token rows (or given rows), the embedding LayerNorm, a snapshot for hidden_states. */
    private Built embedGraph() {
        TaskGraph g = new TaskGraph("embed");
        FloatArray none = new FloatArray(1);
        FloatArray pow2 = Formats.powersOfTwo();
        DeviceMatrix table = matrix(weights.tokenEmbeddings(), null, vocab, hidden);
        FloatArray norm = FloatArray.fromArray(vector(weights.embeddingNorm(), hidden));
        FloatArray normBias = optional(weights.embeddingNormBias(), hidden);
        resident(g, DataTransferMode.EVERY_EXECUTION, counts, tokenMeta);
        resident(g, DataTransferMode.FIRST_EXECUTION, ctx, x);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, given);
        List<Object> once = new ArrayList<>(List.of(none, pow2, norm, embedOut));
        once.addAll(List.of(table.arrays()));
        if (normBias != null) {
            once.add(normBias);
        }
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());
        switch (table.format()) {
            case F32 -> g.task("embed", Embedding::f32, ctx, counts, tokenMeta, given, x, table.f32(), hidden);
            case BF16, F16 -> g.task("embed", Embedding::bits16, ctx, counts, tokenMeta, given, x, table.half(), table.halfFormat(), pow2, hidden);
            case Q8_0 -> g.task("embed", Embedding::q8, ctx, counts, tokenMeta, given, x, table.quants(), table.scales(), hidden);
        }
        size("embed", "embed", Step.TOKENS, hidden, ELEMENT_LOCAL);
        layerNorm(g, "norm", Step.TOKENS, x, x, norm, normBias, none);
        g.task("snapshot", Rows::copy, ctx, counts, Step.TOKENS, x, embedOut, hidden);
        size("embed", "snapshot", Step.TOKENS, hidden, ELEMENT_LOCAL);
        g.transferToHost(DataTransferMode.UNDER_DEMAND, embedOut);
        persist(g);
        return new Built(g.snapshot(), table.bytes() + 4L * hidden * 2);
    }

    /** Graph of one decoder layer: pre-norm attention and the gated MLP, each with its residual, in place on x. */
    private Built layerGraph(int l) {
        LayerWeights lw = weights.layers().get(l);
        String name = "layer_" + l;
        TaskGraph g = new TaskGraph(name);
        FloatArray none = new FloatArray(1);
        FloatArray pow2 = Formats.powersOfTwo();
        resident(g, DataTransferMode.EVERY_EXECUTION, counts, tokenMeta, seqMeta);
        resident(g, DataTransferMode.FIRST_EXECUTION, ctx, x, h, q, k, v, attn, up, gated, kPool, vPool);
        FloatArray attnNorm = lw.attnNorm() == null ? null : FloatArray.fromArray(vector(lw.attnNorm(), hidden));
        FloatArray attnNormBias = optional(lw.attnNormBias(), hidden);
        DeviceMatrix wq = matrix(lw.wq(), lw.bq(), hidden, hidden);
        DeviceMatrix wk = matrix(lw.wk(), lw.bk(), hidden, hidden);
        DeviceMatrix wv = matrix(lw.wv(), lw.bv(), hidden, hidden);
        DeviceMatrix wo = matrix(lw.wo(), lw.bo(), hidden, hidden);
        FloatArray mlpNorm = FloatArray.fromArray(vector(lw.mlpNorm(), hidden));
        FloatArray mlpNormBias = optional(lw.mlpNormBias(), hidden);
        DeviceMatrix wi = matrix(lw.wi(), lw.bi(), 2 * intermediate, hidden);
        DeviceMatrix wOut = matrix(lw.wMlpOut(), lw.bMlpOut(), hidden, intermediate);
        FloatArray[] table = ropeTable(lw.ropeTheta());
        List<Object> once = new ArrayList<>(List.of(none, pow2, mlpNorm, table[0], table[1], layerOut[l], probs[l]));
        for (FloatArray a : new FloatArray[] {attnNorm, attnNormBias, mlpNormBias}) {
            if (a != null) {
                once.add(a);
            }
        }
        long bytes = 4L * (hidden * 4 + table[0].getSize() * 2); // norms and biases (at most four vectors) and the 16-bit table
        for (DeviceMatrix m : new DeviceMatrix[] {wq, wk, wv, wo, wi, wOut}) {
            once.addAll(List.of(m.arrays()));
            bytes += m.bytes();
        }
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());

        boolean slide = sliding[l];
        int layerSlot = layerSlot(l);
        g.task("fork", Attention::copySlots, ctx, counts, kPool, vPool, slide ? 1 : 0, layerSlot, hidden);
        size(name, "fork", slide ? Step.COPY_SLIDE : Step.COPY_FULL, hidden, ELEMENT_LOCAL);
        FloatArray in = x;
        if (attnNorm != null) {
            layerNorm(g, "attn_norm", Step.TOKENS, x, h, attnNorm, attnNormBias, none);
            in = h;
        }
        matmul(g, "q", Step.TOKENS, in, hidden, q, hidden, wq, false, none, pow2);
        matmul(g, "k", Step.TOKENS, in, hidden, k, hidden, wk, false, none, pow2);
        matmul(g, "v", Step.TOKENS, in, hidden, v, hidden, wv, false, none, pow2);
        g.task("rope", Rope::applyRope, ctx, counts, tokenMeta, q, k, table[0], table[1], heads, headDim);
        size(name, "rope", Step.TOKENS, heads * headDim / 2, ELEMENT_LOCAL);
        g.task("attention", Attention::attend, ctx, counts, tokenMeta, seqMeta, q, k, v, kPool, vPool, attn, probs[l], heads, headDim,
                slide ? 1 : 0, window, layerSlot, (float) (1.0 / Math.sqrt(headDim)));
        size(name, "attention", Step.TOKENS, heads, ELEMENT_LOCAL);
        g.task("cache", Attention::writeCache, ctx, counts, tokenMeta, seqMeta, k, v, kPool, vPool, slide ? 1 : 0, layerSlot, hidden);
        size(name, "cache", Step.TOKENS, hidden, ELEMENT_LOCAL);
        matmul(g, "o", Step.TOKENS, attn, hidden, x, hidden, wo, true, none, pow2);
        layerNorm(g, "mlp_norm", Step.TOKENS, x, h, mlpNorm, mlpNormBias, none);
        matmul(g, "wi", Step.TOKENS, h, hidden, up, 2 * intermediate, wi, false, none, pow2);
        g.task("gated", Activations::gated, ctx, counts, Step.TOKENS, up, gated, intermediate, activationCode(weights.config().hiddenActivation()));
        size(name, "gated", Step.TOKENS, intermediate, ELEMENT_LOCAL);
        matmul(g, "mlp_out", Step.TOKENS, gated, intermediate, x, hidden, wOut, true, none, pow2);
        g.task("snapshot", Rows::copy, ctx, counts, Step.TOKENS, x, layerOut[l], hidden);
        size(name, "snapshot", Step.TOKENS, hidden, ELEMENT_LOCAL);
        g.transferToHost(DataTransferMode.UNDER_DEMAND, layerOut[l], probs[l]);
        persist(g);
        return new Built(g.snapshot(), bytes);
    }

    /** The first slot of layer {@code l}'s region of the pool: full layers' regions first, then the sliding ones'. */
    private int layerSlot(int l) {
        int n = 0;
        for (int i = 0; i < l; i++) {
            n += sliding[i] == sliding[l] ? 1 : 0;
        }
        return sliding[l] ? fullLayers * fullPool.slots() + n * slidePool.slots() : n * fullPool.slots();
    }

    /** cos and sin of {@code position * theta^(-2j/headDim)} for every position, computed in double. */
    private FloatArray[] ropeTable(double theta) {
        int half = headDim / 2;
        FloatArray cos = new FloatArray(maxPositions * half);
        FloatArray sin = new FloatArray(maxPositions * half);
        for (int j = 0; j < half; j++) {
            double inv = Math.pow(theta, -2.0 * j / headDim);
            for (int p = 0; p < maxPositions; p++) {
                cos.set(p * half + j, (float) Math.cos(p * inv));
                sin.set(p * half + j, (float) Math.sin(p * inv));
            }
        }
        return new FloatArray[] {cos, sin};
    }

    /** The last graph: final norm of every token, then the head on the rows the sequences' head modes ask for. */
    private Built headGraph() {
        TaskGraph g = new TaskGraph("head");
        FloatArray none = new FloatArray(1);
        FloatArray pow2 = Formats.powersOfTwo();
        HeadWeights hw = weights.head();
        resident(g, DataTransferMode.EVERY_EXECUTION, counts);
        if (hw != null) {
            resident(g, DataTransferMode.EVERY_EXECUTION, headRows);
        }
        resident(g, DataTransferMode.FIRST_EXECUTION, ctx, x);
        FloatArray norm = FloatArray.fromArray(vector(weights.finalNorm(), hidden));
        FloatArray normBias = optional(weights.finalNormBias(), hidden);
        List<Object> once = new ArrayList<>(List.of(none, pow2, norm, finalOut));
        if (normBias != null) {
            once.add(normBias);
        }
        long bytes = 0;
        DeviceMatrix dense = null;
        DeviceMatrix projection = null;
        FloatArray headNorm = null;
        FloatArray headNormBias = null;
        if (hw != null) {
            dense = matrix(hw.dense(), hw.denseBias(), hidden, hidden);
            projection = matrix(hw.projection(), hw.projectionBias(), outputs, hidden);
            headNorm = FloatArray.fromArray(vector(hw.norm(), hidden));
            headNormBias = optional(hw.normBias(), hidden);
            once.addAll(List.of(headIn, headHidden, logits, argmax));
            once.addAll(List.of(dense.arrays()));
            once.addAll(List.of(projection.arrays()));
            once.add(headNorm);
            if (headNormBias != null) {
                once.add(headNormBias);
            }
            bytes += dense.bytes() + projection.bytes();
        }
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());
        layerNorm(g, "final_norm", Step.TOKENS, x, x, norm, normBias, none);
        g.task("snapshot", Rows::copy, ctx, counts, Step.TOKENS, x, finalOut, hidden);
        size("head", "snapshot", Step.TOKENS, hidden, ELEMENT_LOCAL);
        if (hw != null) {
            g.task("gather", Rows::gather, ctx, counts, Step.HEAD_ROWS, headRows, x, headIn, hidden);
            size("head", "gather", Step.HEAD_ROWS, hidden, ELEMENT_LOCAL);
            matmul(g, "dense", Step.HEAD_ROWS, headIn, hidden, headHidden, hidden, dense, false, none, pow2);
            g.task("act", Activations::inPlace, ctx, counts, Step.HEAD_ROWS, headHidden, hidden, activationCode(hw.activation()));
            size("head", "act", Step.HEAD_ROWS, hidden, ELEMENT_LOCAL);
            layerNorm(g, "head_norm", Step.HEAD_ROWS, headHidden, headHidden, headNorm, headNormBias, none);
            matmul(g, "projection", Step.HEAD_ROWS, headHidden, hidden, logits, outputs, projection, false, none, pow2);
            g.task("argmax", Rows::argmax, ctx, counts, Step.HEAD_ROWS, logits, argmax, outputs);
            size("head", "argmax", Step.HEAD_ROWS, ARGMAX_LOCAL, ARGMAX_LOCAL);
        }
        g.transferToHost(DataTransferMode.UNDER_DEMAND, finalOut);
        if (hw != null) {
            g.transferToHost(DataTransferMode.UNDER_DEMAND, logits);
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, argmax);
        }
        persist(g);
        return new Built(g.snapshot(), bytes + 4L * hidden * 4);
    }

    static int activationCode(Activation a) {
        return switch (a) {
            case GELU -> Activations.GELU;
            case GELU_TANH -> Activations.GELU_TANH;
            case QUICK_GELU -> Activations.QUICK_GELU;
            case SILU -> Activations.SILU;
            case RELU -> Activations.RELU;
        };
    }

    /**
     * Runs every graph once on a dummy token that writes only the pools' reserved slot 0: compiles
     * the kernels, moves the weights to the device and links the persisted buffers, so that a fork
     * can run before the first real step.
     */
    private void warmUp() {
        counts.init(0);
        counts.set(Step.TOKENS, 1);
        counts.set(Step.SEQUENCES, 1);
        counts.set(Step.HEAD_ROWS, hasHead ? 1 : 0);
        tokenMeta.init(0);
        seqMeta.init(0);
        seqMeta.set(Step.LENGTH, 1);
        seqMeta.set(Step.RING, 1);
        seqMeta.set(Step.PROBS, -1);
        headRows.init(0);
        given.init(0);
        execute(null, false, false);
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

    /** Device memory the plan holds: weights, KV pools, activations. */
    long deviceBytes() {
        return deviceBytes;
    }

    private int ring(CacheSpec spec) {
        return slidingLayers == 0 ? 0 : (int) Math.min(spec.maxLength(), (long) window + spec.rollback());
    }

    private int fullSlots(CacheSpec spec) {
        return fullLayers == 0 ? 0 : spec.maxLength();
    }

    @Override
    public long cacheBytes(CacheSpec spec) {
        return 2L * hidden * Float.BYTES * ((long) fullLayers * fullSlots(spec) + (long) slidingLayers * ring(spec));
    }

    @Override
    public synchronized KvCache newCache(CacheSpec spec) {
        checkOpen();
        if (spec.maxLength() > maxPositions) {
            throw new ModernBertException("a KV cache must hold between 1 and max_position_embeddings = " + maxPositions
                    + " positions, got " + spec.maxLength());
        }
        if (spec.maxLength() > limits.maxCachePositions()) {
            throw new ModernBertException("a KV cache of " + spec.maxLength() + " positions does not fit the device KV pool of "
                    + limits.maxCachePositions() + " positions per layer; raise -Dmodernbert.tornado.cachePositions");
        }
        return allocate(spec);
    }

    private TornadoKvCache allocate(CacheSpec spec) {
        int fullSlots = fullSlots(spec);
        int ring = ring(spec);
        int fullBase = fullPool.allocate(fullSlots);
        if (fullBase < 0) {
            throw poolFull(fullPool, fullSlots);
        }
        int slideBase = slidePool.allocate(ring);
        if (slideBase < 0) {
            fullPool.release(fullBase, fullSlots);
            throw poolFull(slidePool, ring);
        }
        return new TornadoKvCache(this, spec, fullBase, fullSlots, slideBase, ring);
    }

    private static ModernBertException poolFull(SlotPool pool, int wanted) {
        return new ModernBertException("the device KV pool has no free range of " + wanted + " positions (" + pool.used() + " of "
                + (pool.slots() - 1) + " in use): close caches, or raise -Dmodernbert.tornado.cachePositions");
    }

    synchronized void release(TornadoKvCache cache) {
        fullPool.release(cache.fullBase, cache.fullSlots);
        slidePool.release(cache.slideBase, cache.ring);
    }

    /**
     * A new cache holding a device copy of {@code source}'s slots (lengths set by the caller): a pass
     * through every graph with no tokens, whose layers each copy their region's slots first.
     */
    synchronized TornadoKvCache fork(TornadoKvCache source) {
        checkOpen();
        TornadoKvCache copy = allocate(source.spec());
        counts.init(0);
        counts.set(Step.COPY_FULL, Math.min(source.fullSlots, source.length()));
        counts.set(Step.FULL_FROM, source.fullBase);
        counts.set(Step.FULL_TO, copy.fullBase);
        counts.set(Step.COPY_SLIDE, source.ring);
        counts.set(Step.SLIDE_FROM, source.slideBase);
        counts.set(Step.SLIDE_TO, copy.slideBase);
        try {
            execute(null, false, false);
        } catch (RuntimeException | Error e) {
            copy.close();
            throw e;
        }
        return copy;
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
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
        TornadoKvCache[] caches = new TornadoKvCache[count];
        int[] offsets = new int[count + 1];
        int[] past = new int[count];
        long total = 0;
        long probsTotal = 0;
        boolean anyStates = false;
        boolean anyAttentions = false;
        for (int s = 0; s < count; s++) {
            SequenceInput in = Objects.requireNonNull(inputs.get(s), "sequence input");
            TornadoKvCache c = checkCache(in.cache(), s, caches);
            int len = c.length();
            int n = in.length();
            StepInputChecks.tokens(in, s, len, vocab, hidden);
            StepInputChecks.positions(in, s, len, maxPositions);
            StepInputChecks.room(in, s, len, c.maxLength());
            StepInputChecks.head(in, s, hasHead ? outputs : -1);
            caches[s] = c;
            past[s] = len;
            total += n;
            if (total > limits.maxTokensPerStep()) {
                throw new ModernBertException("a step of " + total + "+ tokens exceeds this executor's limit of "
                        + limits.maxTokensPerStep() + " tokens; split it into smaller steps");
            }
            offsets[s + 1] = (int) total;
            if (in.attentions()) {
                probsTotal += (long) heads * n * (len + n);
                if (probsTotal > probsCapacity) {
                    throw new ModernBertException("sequence " + s + ": the attention probabilities of this step (" + probsTotal
                            + " floats per layer) exceed the device buffer of " + probsCapacity
                            + "; ask for them on shorter steps or raise -Dmodernbert.tornado.probsFloats");
                }
            }
            anyStates |= in.hiddenStates();
            anyAttentions |= in.attentions();
        }
        int tokens = (int) total;
        int[] headRowOf = fillMetadata(inputs, caches, offsets, past);
        List<List<float[]>> states = anyStates ? new ArrayList<>(Collections.nCopies(count, null)) : null;
        List<List<float[]>> attentions = anyAttentions ? new ArrayList<>(Collections.nCopies(count, null)) : null;
        for (int s = 0; s < count; s++) {
            if (inputs.get(s).hiddenStates()) {
                states.set(s, new ArrayList<>());
            }
            if (inputs.get(s).attentions()) {
                attentions.set(s, new ArrayList<>());
            }
        }
        boolean anyLogits = false;
        boolean anyHidden = anyStates;
        for (SequenceInput in : inputs) {
            anyLogits |= in.head() instanceof Head.Last || in.head() instanceof Head.All || in.head() instanceof Head.TopK;
            anyHidden |= in.lastHiddenState();
        }
        try {
            execute(new Outputs(inputs, offsets, past, states, attentions), anyLogits, anyHidden);
        } catch (RuntimeException | Error e) {
            for (TornadoKvCache c : caches) {
                c.markBroken(); // some layers may hold this step's keys
            }
            throw e;
        }
        List<SequenceOutput> out = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            SequenceInput in = inputs.get(s);
            float[] lastHidden = in.lastHiddenState() ? rows(finalOut, offsets[s], offsets[s + 1], hidden) : null;
            List<float[]> layerStates = null;
            if (in.hiddenStates()) {
                layerStates = states.get(s);
                layerStates.add(lastHidden != null ? lastHidden : rows(finalOut, offsets[s], offsets[s + 1], hidden));
                layerStates = Collections.unmodifiableList(layerStates);
            }
            List<float[]> probabilities = in.attentions() ? Collections.unmodifiableList(attentions.get(s)) : null;
            float[] lg = null;
            int am = -1;
            int[] topIds = null;
            float[] topLogits = null;
            int row = headRowOf[s];
            switch (in.head()) {
                case Head.None none -> { }
                case Head.Last last -> lg = rows(logits, row, row + 1, outputs);
                case Head.All all -> lg = rows(logits, row, row + in.length(), outputs);
                case Head.Argmax a -> am = argmax.get(row);
                case Head.TopK(int kk) -> {
                    float[] all = rows(logits, row, row + 1, outputs);
                    topIds = LogitRanking.topK(all, 0, outputs, kk);
                    topLogits = new float[kk];
                    for (int i = 0; i < kk; i++) {
                        topLogits[i] = all[topIds[i]];
                    }
                }
            }
            out.add(new SequenceOutput(lg, am, topIds, topLogits, lastHidden, layerStates, probabilities));
        }
        for (int s = 0; s < count; s++) {
            caches[s].advance(offsets[s + 1] - offsets[s]);
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Fills the step's metadata arrays; returns each sequence's first head row (-1 for none): the
     * last token for last/argmax/top-k, every token for all.
     */
    private int[] fillMetadata(List<SequenceInput> inputs, TornadoKvCache[] caches, int[] offsets, int[] past) {
        int count = inputs.size();
        int[] headRowOf = new int[count];
        int rows = 0;
        counts.init(0); // no fork copy in a step
        int probsAt = 0;
        for (int s = 0; s < count; s++) {
            SequenceInput in = inputs.get(s);
            int n = in.length();
            int so = s * Step.SEQ_FIELDS;
            seqMeta.set(so + Step.PAST, past[s]);
            seqMeta.set(so + Step.OFFSET, offsets[s]);
            seqMeta.set(so + Step.LENGTH, n);
            seqMeta.set(so + Step.FULL_BASE, caches[s].fullBase);
            seqMeta.set(so + Step.SLIDE_BASE, caches[s].slideBase);
            seqMeta.set(so + Step.RING, Math.max(1, caches[s].ring));
            seqMeta.set(so + Step.PROBS, in.attentions() ? probsAt : -1);
            if (in.attentions()) {
                probsAt += heads * n * (past[s] + n);
            }
            for (int p = 0; p < n; p++) {
                int t = offsets[s] + p;
                int to = t * Step.TOKEN_FIELDS;
                tokenMeta.set(to + Step.ID, in.tokenIds() != null ? in.tokenIds()[p] : -1);
                tokenMeta.set(to + Step.SEQ, s);
                tokenMeta.set(to + Step.POSITION, in.positionIds() != null ? in.positionIds()[p] : past[s] + p);
                tokenMeta.set(to + Step.SLOT, past[s] + p);
                if (in.inputsEmbeds() != null) {
                    float[] data = in.inputsEmbeds().data();
                    for (int i = 0; i < hidden; i++) {
                        given.set(t * hidden + i, data[p * hidden + i]);
                    }
                }
            }
            headRowOf[s] = -1;
            if (in.head() instanceof Head.All) {
                headRowOf[s] = rows;
                for (int p = 0; p < n; p++) {
                    headRows.set(rows++, offsets[s] + p);
                }
            } else if (!(in.head() instanceof Head.None)) {
                headRowOf[s] = rows;
                headRows.set(rows++, offsets[s + 1] - 1);
            }
        }
        counts.set(Step.TOKENS, offsets[count]);
        counts.set(Step.SEQUENCES, count);
        counts.set(Step.HEAD_ROWS, rows);
        return headRowOf;
    }

    /** Where the layer-wise outputs of a step go; null for a step that asks for none. */
    private record Outputs(List<SequenceInput> inputs, int[] offsets, int[] past, List<List<float[]>> states,
                           List<List<float[]>> attentions) {
    }

    /** Runs the graphs in order with the work sizes of the metadata now in {@link #counts}, fetching what is asked for. */
    private void execute(Outputs o, boolean fetchLogits, boolean fetchHidden) {
        for (Sized s : sized) {
            int n = Math.max(1, counts.get(s.countIdx())) * s.perCount();
            s.grid().setGlobalWork(roundUp(n, s.local()), 1, 1);
        }
        long start = System.nanoTime();
        TornadoExecutionResult r = run(0);
        if (o != null && o.states() != null) {
            r.transferToHost(embedOut);
            addRows(o, embedOut, o.states(), true);
        }
        for (int l = 0; l < layerCount; l++) {
            r = run(1 + l);
            if (o != null && o.states() != null && l < layerCount - 1) {
                r.transferToHost(layerOut[l]);
                addRows(o, layerOut[l], o.states(), true);
            }
            if (o != null && o.attentions() != null) {
                r.transferToHost(probs[l]);
                addRows(o, probs[l], o.attentions(), false);
            }
        }
        r = run(1 + layerCount);
        if (fetchLogits) {
            r.transferToHost(logits);
        }
        if (fetchHidden) {
            r.transferToHost(finalOut);
        }
        profile[0]++;
        profile[2] += System.nanoTime() - start;
    }

    private TornadoExecutionResult run(int graph) {
        TornadoExecutionResult r = plan.withGraph(graph).withGridScheduler(scheduler).execute();
        if (PROFILE) {
            var p = r.getProfilerResult();
            profile[1]++;
            profile[3] += p.getTotalTime();
            profile[4] += p.getDeviceKernelTime();
            profile[5] += p.getKernelDispatchTime();
            profile[6] += p.getDataTransfersTime();
            profile[7] += p.getDataTransferDispatchTime();
            profile[8] += p.getTotalBytesCopyIn();
            profile[9] += p.getTotalBytesCopyOut();
        }
        return r;
    }

    /** The profile totals as one line (empty without -Dmodernbert.tornado.profile=true). */
    String profileSummary() {
        if (!PROFILE || profile[0] == 0) {
            return "";
        }
        return String.format(java.util.Locale.ROOT, "TornadoVM profile: %d passes (%d graph runs), host wall %.1f ms; TornadoVM total %.1f ms:"
                        + " kernels %.1f ms, kernel dispatch %.1f ms, transfers %.1f ms, transfer dispatch %.1f ms; %d bytes in, %d bytes out"
                        + " (per pass: wall %.3f ms, kernels %.3f ms)",
                profile[0], profile[1], profile[2] / 1e6, profile[3] / 1e6, profile[4] / 1e6, profile[5] / 1e6, profile[6] / 1e6,
                profile[7] / 1e6, profile[8], profile[9], profile[2] / 1e6 / profile[0], profile[4] / 1e6 / profile[0]);
    }

    /** Appends each asking sequence's part of a fetched buffer: token rows of the hidden size, or its probabilities. */
    private void addRows(Outputs o, FloatArray from, List<List<float[]>> to, boolean hiddenRows) {
        int at = 0;
        for (int s = 0; s < o.inputs().size(); s++) {
            List<float[]> list = to.get(s);
            int n = o.inputs().get(s).length();
            if (hiddenRows) {
                if (list != null) {
                    list.add(rows(from, o.offsets()[s], o.offsets()[s + 1], hidden));
                }
            } else if (list != null) {
                int size = heads * n * (o.past()[s] + n);
                float[] p = new float[size];
                for (int i = 0; i < size; i++) {
                    p[i] = from.get(at + i);
                }
                list.add(p);
                at += size;
            }
        }
    }

    private static float[] rows(FloatArray a, int from, int to, int width) {
        float[] out = new float[(to - from) * width];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(from * width + i);
        }
        return out;
    }

    // ------------------------------------------------------------------ validation

    private TornadoKvCache checkCache(KvCache cache, int s, TornadoKvCache[] earlier) {
        if (!(cache instanceof TornadoKvCache c) || c.owner() != this) {
            throw new ModernBertException("sequence " + s + ": its KV cache was not made by this TornadoVM executor"
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

    // ------------------------------------------------------------------ weights

    static float[] vector(Tensor t, int n) {
        if (t.rank() != 1 || t.dim(0) != n) {
            throw new ModernBertException("tensor " + t.name() + " has shape " + Arrays.toString(t.shape()) + ", expected [" + n + "]");
        }
        return t.toFloatArray();
    }

    private static FloatArray optional(Tensor t, int n) {
        return t == null ? null : FloatArray.fromArray(vector(t, n));
    }

    private void checkOpen() {
        if (closed) {
            throw new ModernBertException("this TornadoVM model executor is closed");
        }
    }

    /** Frees the plan's device memory; closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (PROFILE) {
            LOG.info(profileSummary());
        }
        try {
            plan.close();
        } catch (Exception e) {
            LOG.warn("TornadoVM did not free the device memory of an execution plan: {}", e.toString());
        }
    }
}
