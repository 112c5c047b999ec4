package org.modernbert.conformance.example;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.Activation;
import org.modernbert.api.config.AttentionType;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole ModernBERT decoder in scalar Java and float64, written for reading, not for speed: each
 * sequence of a step is run alone, one token at a time through every layer. A token writes its keys
 * and values to the cache and then attends to the cache, so the step's earlier tokens, a prefix cached
 * by earlier steps and the token itself are all seen the same way (causal attention over cache slots).
 *
 * <p>Not thread-safe (the contract does not ask it to be: callers serialize steps).
 */
public class ExampleExecutor implements ModelExecutor {
    /** Small on purpose, so that the kit can try a step over each limit. */
    static final int MAX_SEQUENCES_PER_STEP = 16;
    static final int MAX_TOKENS_PER_STEP = 256;

    /** A linear layer {@code y = W x + b}, W {@code [rows][cols]} row-major, widened to float once at load. */
    private record Linear(float[] w, float[] bias, int rows, int cols) {
        double[] apply(double[] x) {
            double[] y = new double[rows];
            for (int r = 0; r < rows; r++) {
                double s = bias == null ? 0 : bias[r];
                int base = r * cols;
                for (int c = 0; c < cols; c++) {
                    s += w[base + c] * x[c];
                }
                y[r] = s;
            }
            return y;
        }
    }

    /** LayerNorm with an optional bias. */
    private record Norm(float[] weight, float[] bias, double eps) {
        double[] apply(double[] x) {
            double mean = 0;
            for (double v : x) {
                mean += v;
            }
            mean /= x.length;
            double var = 0;
            for (double v : x) {
                var += (v - mean) * (v - mean);
            }
            var /= x.length;
            double inv = 1.0 / Math.sqrt(var + eps);
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = (x[i] - mean) * inv * weight[i] + (bias == null ? 0 : bias[i]);
            }
            return y;
        }
    }

    /** One decoder layer; {@code attnNorm} is null on layer 0 (it has none). */
    private record Layer(boolean sliding, double ropeTheta, Norm attnNorm, Linear q, Linear k, Linear v, Linear o,
                         Norm mlpNorm, Linear wi, Linear mlpOut) {
    }

    /** The LM or classifier head: {@code projection(norm(act(dense(h))))}. */
    private record OutputHead(Linear dense, Activation activation, Norm norm, Linear projection) {
        float[] apply(double[] h) {
            double[] z = dense.apply(h);
            for (int i = 0; i < z.length; i++) {
                z[i] = activation.apply(z[i]);
            }
            double[] y = projection.apply(norm.apply(z));
            float[] out = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                out[i] = (float) y[i];
            }
            return out;
        }
    }

    private final ModelWeights weights;
    private final int hidden;
    private final int heads;
    private final int headDim;
    private final int window;
    private final int vocab;
    private final int maxPositions;
    private final Activation activation;
    private final float[] embeddings;
    private final Norm embeddingNorm;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final OutputHead head;
    private final ExecutorLimits limits;
    private boolean closed;

    public ExampleExecutor(ModelWeights weights) {
        this.weights = weights;
        ModernBertDecoderConfig c = weights.config();
        hidden = c.hiddenSize();
        heads = c.numAttentionHeads();
        headDim = c.headDim();
        window = c.slidingWindow();
        vocab = c.vocabSize();
        maxPositions = c.maxPositionEmbeddings();
        activation = c.hiddenActivation();
        double eps = c.normEps();
        // The loader has checked every shape against the config; weights arrive in a format of
        // weightFormats() (matrices) or any float format (norms, biases). Widen them all once.
        embeddings = floats(weights.tokenEmbeddings());
        embeddingNorm = new Norm(floats(weights.embeddingNorm()), floats(weights.embeddingNormBias()), eps);
        layers = new Layer[weights.layers().size()];
        int fullLayers = 0;
        for (LayerWeights lw : weights.layers()) {
            boolean sliding = lw.attentionType() == AttentionType.SLIDING_ATTENTION;
            fullLayers += sliding ? 0 : 1;
            layers[lw.index()] = new Layer(sliding, lw.ropeTheta(),
                    lw.attnNorm() == null ? null : new Norm(floats(lw.attnNorm()), floats(lw.attnNormBias()), eps),
                    linear(lw.wq(), lw.bq()), linear(lw.wk(), lw.bk()), linear(lw.wv(), lw.bv()), linear(lw.wo(), lw.bo()),
                    new Norm(floats(lw.mlpNorm()), floats(lw.mlpNormBias()), eps),
                    linear(lw.wi(), lw.bi()), linear(lw.wMlpOut(), lw.bMlpOut()));
        }
        finalNorm = new Norm(floats(weights.finalNorm()), floats(weights.finalNormBias()), eps);
        HeadWeights hw = weights.head();
        head = hw == null ? null : new OutputHead(linear(hw.dense(), hw.denseBias()), hw.activation(),
                new Norm(floats(hw.norm()), floats(hw.normBias()), eps), linear(hw.projection(), hw.projectionBias()));
        limits = new ExecutorLimits(MAX_SEQUENCES_PER_STEP, MAX_TOKENS_PER_STEP, maxPositions,
                2L * fullLayers * hidden * Double.BYTES);
    }

    private static float[] floats(Tensor t) {
        return t == null ? null : t.toFloatArray();
    }

    private static Linear linear(Tensor w, Tensor bias) {
        return new Linear(floats(w), floats(bias), (int) w.dim(0), (int) w.dim(1));
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
        long bytes = 0;
        for (int s : slotsPerLayer(spec)) {
            bytes += 2L * s * hidden * Double.BYTES;
        }
        return bytes;
    }

    @Override
    public KvCache newCache(CacheSpec spec) {
        checkOpen();
        if (spec.maxLength() > limits.maxCachePositions()) {
            throw new ModernBertException("a KV cache of " + spec.maxLength() + " positions exceeds this executor's "
                    + limits.maxCachePositions() + " (max_position_embeddings)");
        }
        return createCache(spec);
    }

    /** A new, empty cache of {@code spec} owned by this executor. */
    protected ExampleKvCache createCache(CacheSpec spec) {
        return new ExampleKvCache(this, spec, slotsPerLayer(spec), hidden);
    }

    private int[] slotsPerLayer(CacheSpec spec) {
        int[] slots = new int[layers.length];
        for (int l = 0; l < layers.length; l++) {
            slots[l] = layers[l].sliding() ? slidingSlots(spec) : spec.maxLength();
        }
        return slots;
    }

    /** Positions a sliding layer keeps: the window plus the rollback (never more than the cache's length). */
    protected int slidingSlots(CacheSpec spec) {
        return (int) Math.min(spec.maxLength(), (long) window + spec.rollback());
    }

    @Override
    public List<SequenceOutput> step(List<SequenceInput> inputs) {
        checkOpen();
        validate(inputs); // all of it before any cache changes
        List<SequenceOutput> out = new ArrayList<>(inputs.size());
        for (SequenceInput in : inputs) {
            out.add(run(in));
        }
        return Collections.unmodifiableList(out);
    }

    /** Closing twice is harmless; steps and new caches are refused afterwards. */
    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new ModernBertException("this example executor is closed");
        }
    }

    // ------------------------------------------------------------------ validation

    private void validate(List<SequenceInput> inputs) {
        if (inputs.isEmpty()) {
            throw new ModernBertException("a step needs at least one sequence");
        }
        if (inputs.size() > limits.maxSequencesPerStep()) {
            throw new ModernBertException("a step of " + inputs.size() + " sequences exceeds this executor's limit of "
                    + limits.maxSequencesPerStep());
        }
        Map<KvCache, Integer> seen = new IdentityHashMap<>();
        long tokens = 0;
        for (int s = 0; s < inputs.size(); s++) {
            SequenceInput in = inputs.get(s);
            ExampleKvCache cache = own(in.cache(), s);
            Integer earlier = seen.put(cache, s);
            if (earlier != null) {
                throw new ModernBertException("sequences " + earlier + " and " + s + " share one KV cache; each needs its own");
            }
            int n = in.length();
            tokens += n;
            if (in.tokenIds() != null) {
                for (int t = 0; t < n; t++) {
                    int id = in.tokenIds()[t];
                    if (id < 0 || id >= vocab) {
                        throw new ModernBertException("sequence " + s + ", token " + t + ": id " + id + " is outside the vocabulary [0, "
                                + vocab + ")");
                    }
                }
            } else if (in.inputsEmbeds().cols() != hidden) {
                throw new ModernBertException("sequence " + s + ": inputs_embeds rows have " + in.inputsEmbeds().cols()
                        + " values, hidden_size is " + hidden);
            }
            if (in.positionIds() != null) {
                for (int p : in.positionIds()) {
                    if (p < 0 || p >= maxPositions) {
                        throw new ModernBertException("sequence " + s + ": position id " + p + " is outside [0, " + maxPositions + ")");
                    }
                }
            }
            if ((long) cache.length() + n > cache.maxLength()) {
                throw new ModernBertException("sequence " + s + ": " + cache.length() + " cached + " + n
                        + " new positions exceed the cache's maxLength " + cache.maxLength());
            }
            if (!(in.head() instanceof Head.None) && head == null) {
                throw new ModernBertException("sequence " + s + " asks for " + in.head() + " but the model has no head");
            }
            if (in.head() instanceof Head.TopK(int k) && k > head.projection().rows()) {
                throw new ModernBertException("sequence " + s + ": top-" + k + " of " + head.projection().rows() + " outputs");
            }
        }
        if (tokens > limits.maxTokensPerStep()) {
            throw new ModernBertException("a step of " + tokens + " tokens exceeds this executor's limit of "
                    + limits.maxTokensPerStep());
        }
    }

    /** The cache of sequence {@code s}, which must be open and made by this executor. */
    protected ExampleKvCache own(KvCache cache, int s) {
        if (!(cache instanceof ExampleKvCache c) || c.owner() != this) {
            throw new ModernBertException("sequence " + s + ": its KV cache was made by another executor");
        }
        if (c.isClosed()) {
            throw new ModernBertException("sequence " + s + ": its KV cache is closed");
        }
        return c;
    }

    // ------------------------------------------------------------------ the model

    /** Runs one sequence's new tokens through the model, appending them to its cache. */
    private SequenceOutput run(SequenceInput in) {
        ExampleKvCache cache = (ExampleKvCache) in.cache();
        int n = in.length();
        int past = cache.length();
        int keys = past + n;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] e = new double[hidden];
            for (int i = 0; i < hidden; i++) {
                e[i] = in.tokenIds() != null ? embeddings[in.tokenIds()[t] * hidden + i] : in.inputsEmbeds().get(t, i);
            }
            x[t] = embeddingNorm.apply(e); // inputs_embeds go through the embedding norm too
        }
        List<float[]> states = in.hiddenStates() ? new ArrayList<>() : null;
        List<float[]> attentions = in.attentions() ? new ArrayList<>() : null;
        if (states != null) {
            states.add(flat(x));
        }
        for (int l = 0; l < layers.length; l++) {
            float[] probabilities = attentions != null ? new float[heads * n * keys] : null;
            for (int t = 0; t < n; t++) {
                int slot = past + t; // the cache slot of this token; attention is causal over slots
                int position = in.positionIds() != null ? in.positionIds()[t] : slot; // its RoPE position
                x[t] = layer(l, x[t], cache, slot, position, probabilities, t, n, keys);
            }
            if (attentions != null) {
                attentions.add(probabilities);
            }
            if (states != null && l < layers.length - 1) {
                states.add(flat(x));
            }
        }
        cache.advance(n);
        for (int t = 0; t < n; t++) {
            x[t] = finalNorm.apply(x[t]);
        }
        if (states != null) {
            states.add(flat(x)); // the last entry is final-normed, as transformers returns it
        }
        return output(in.head(), x, in.lastHiddenState() ? flat(x) : null, states, attentions);
    }

    /** One layer for one token: pre-norm attention then a gated MLP, each with a residual. */
    private double[] layer(int l, double[] x, ExampleKvCache cache, int slot, int position, float[] probabilities,
                           int query, int queries, int keys) {
        Layer layer = layers[l];
        double[] h = layer.attnNorm() == null ? x : layer.attnNorm().apply(x);
        double[] q = rope(layer.q().apply(h), position, layer.ropeTheta());
        double[] k = rope(layer.k().apply(h), position, layer.ropeTheta());
        cache.put(l, slot, k, layer.v().apply(h));
        double[] attended = attend(l, q, cache, slot, probabilities, query, queries, keys);
        double[] y = add(x, layer.o().apply(attended));
        double[] up = layer.wi().apply(layer.mlpNorm().apply(y));
        int inter = up.length / 2;
        double[] gated = new double[inter];
        for (int i = 0; i < inter; i++) {
            gated[i] = activation.apply(up[i]) * up[inter + i]; // first half activated, second half the gate
        }
        return add(y, layer.mlpOut().apply(gated));
    }

    /**
     * Softmax attention of one query over cache slots {@code first .. slot} (the sliding window, or
     * everything), head by head; writes the probabilities to {@code [head][query][key]} when asked.
     */
    private double[] attend(int l, double[] q, ExampleKvCache cache, int slot, float[] probabilities, int query, int queries,
                            int keys) {
        int first = layers[l].sliding() ? windowStart(slot) : 0;
        double[] ks = cache.keys(l);
        double[] vs = cache.values(l);
        double[] out = new double[hidden];
        double scale = 1.0 / Math.sqrt(headDim);
        for (int hd = 0; hd < heads; hd++) {
            int o = hd * headDim;
            double[] w = new double[slot - first + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int p = first; p <= slot; p++) {
                int at = cache.offset(l, p) + o;
                double dot = 0;
                for (int j = 0; j < headDim; j++) {
                    dot += q[o + j] * ks[at + j];
                }
                w[p - first] = dot * scale;
                max = Math.max(max, w[p - first]);
            }
            double sum = 0;
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.exp(w[i] - max);
                sum += w[i];
            }
            for (int p = first; p <= slot; p++) {
                double weight = w[p - first] / sum;
                int at = cache.offset(l, p) + o;
                for (int j = 0; j < headDim; j++) {
                    out[o + j] += weight * vs[at + j];
                }
                if (probabilities != null) {
                    probabilities[(hd * queries + query) * keys + p] = (float) weight;
                }
            }
        }
        return out;
    }

    /** The first slot a sliding layer's query at {@code slot} sees: the last {@code window} slots, itself included. */
    protected int windowStart(int slot) {
        return Math.max(0, slot - window + 1);
    }

    /** Rotate-half RoPE on every head: pairs {@code (j, j + headDim/2)} turned by {@code position * theta^(-2j/headDim)}. */
    private double[] rope(double[] x, int position, double theta) {
        int half = headDim / 2;
        double[] out = x.clone();
        for (int hd = 0; hd < heads; hd++) {
            int o = hd * headDim;
            for (int j = 0; j < half; j++) {
                double angle = position * Math.pow(theta, -2.0 * j / headDim);
                double cos = Math.cos(angle);
                double sin = Math.sin(angle);
                out[o + j] = x[o + j] * cos - x[o + j + half] * sin;
                out[o + j + half] = x[o + j + half] * cos + x[o + j] * sin;
            }
        }
        return out;
    }

    /** What the head mode asks for, from the final-normed hidden states {@code x} of the new tokens. */
    private SequenceOutput output(Head mode, double[][] x, float[] lastHidden, List<float[]> states, List<float[]> attentions) {
        int n = x.length;
        float[] logits = null;
        int argmax = -1;
        int[] topIds = null;
        float[] topLogits = null;
        switch (mode) {
            case Head.None none -> {
            }
            case Head.All all -> {
                int outputs = head.projection().rows();
                logits = new float[n * outputs];
                for (int t = 0; t < n; t++) {
                    System.arraycopy(head.apply(x[t]), 0, logits, t * outputs, outputs);
                }
            }
            case Head.Last last -> logits = head.apply(x[n - 1]);
            case Head.Argmax am -> argmax = argmax(head.apply(x[n - 1]));
            case Head.TopK(int k) -> {
                float[] all = head.apply(x[n - 1]);
                topIds = topK(all, k);
                topLogits = new float[k];
                for (int i = 0; i < k; i++) {
                    topLogits[i] = all[topIds[i]];
                }
            }
        }
        return new SequenceOutput(logits, argmax, topIds, topLogits, lastHidden, states, attentions);
    }

    /** The largest value's index, the lowest one on ties. */
    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Indices of the k largest values, largest first, lower index first on ties. */
    static int[] topK(float[] v, int k) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> v[a] != v[b] ? Float.compare(v[b], v[a]) : Integer.compare(a, b));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = order[i];
        }
        return out;
    }

    private static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    /** Rows of new tokens as one row-major float array. */
    private float[] flat(double[][] rows) {
        float[] out = new float[rows.length * hidden];
        for (int t = 0; t < rows.length; t++) {
            for (int i = 0; i < hidden; i++) {
                out[t * hidden + i] = (float) rows[t][i];
            }
        }
        return out;
    }
}
