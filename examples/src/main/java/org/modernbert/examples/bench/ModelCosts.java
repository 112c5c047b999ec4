package org.modernbert.examples.bench;

import org.modernbert.api.config.AttentionType;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a model costs, counted from its config and the weights as the backend holds them: the FLOPs of a
 * prefill and the weight bytes one decoded token reads. Pure arithmetic, no timing.
 */
public final class ModelCosts {
    /** How {@link #prefillFlops} counts, for the report. */
    public static final String FLOP_COUNT_RULE = "2 FLOPs per multiply-add. Per prompt token and layer: the linear layers "
            + "q, k, v, o (4*hidden^2), mlp Wi (hidden*2*intermediate) and mlp out (intermediate*hidden) multiply-adds; "
            + "attention 2*2*hidden*keys FLOPs (scores and weighted values), keys = position+1 on full-attention layers and "
            + "min(position+1, window) on sliding layers (window = local_attention/2, layer types from the config); the head "
            + "on the last position only (hidden*hidden dense when present + hidden*vocab). Norms, activations, softmax, "
            + "RoPE and the embedding lookup are not counted.";

    /** How {@link #weightBytesPerToken} counts, for the report. */
    public static final String WEIGHT_BYTES_RULE = "bytes of every weight tensor as the backend holds it (Q8_0: 34 bytes "
            + "per 32 values, BF16/F16: 2, F32: 4), norms and biases included, each tensor once; the token embedding counts "
            + "one row (the lookup) unless it is tied to the LM head, which reads all of it each step (then it counts once, "
            + "in full). KV-cache reads are not counted.";

    private ModelCosts() {
    }

    /**
     * FLOPs of one prefill of {@code tokens} tokens on an empty cache (positions 0 .. tokens-1), with the
     * head on the last position only. See {@link #FLOP_COUNT_RULE}.
     */
    public static double prefillFlops(ModernBertDecoderConfig config, boolean headDense, int tokens) {
        double h = config.hiddenSize();
        double inter = config.intermediateSize();
        double linearMacsPerToken = 4 * h * h + h * 2 * inter + inter * h;
        double flops = 2.0 * tokens * config.numHiddenLayers() * linearMacsPerToken;
        int window = config.slidingWindow();
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            boolean sliding = config.layerType(layer) == AttentionType.SLIDING_ATTENTION;
            double keys = 0;
            for (int p = 0; p < tokens; p++) {
                keys += sliding ? Math.min(p + 1, window) : p + 1;
            }
            flops += 2.0 * 2.0 * h * keys;
        }
        flops += 2.0 * ((headDense ? h * h : 0) + h * config.vocabSize());
        return flops;
    }

    /** Whether the weights' head has the dense layer before its norm. */
    public static boolean hasHeadDense(ModelWeights w) {
        return w.head() != null && w.head().dense() != null;
    }

    /** Weight bytes read to decode one token; see {@link #WEIGHT_BYTES_RULE}. */
    public static long weightBytesPerToken(ModelWeights w) {
        Tensor embeddings = w.tokenEmbeddings();
        HeadWeights head = w.head();
        boolean tied = head != null && head.projection() != null && sameData(head.projection(), embeddings);
        Set<MemorySegment> seen = new HashSet<>();
        long bytes = 0;
        for (Tensor t : tensors(w)) {
            if (t == embeddings && !tied) {
                continue; // one row, below
            }
            if (seen.add(t.data())) {
                bytes += t.data().byteSize();
            }
        }
        if (!tied && seen.add(embeddings.data())) {
            bytes += embeddings.data().byteSize() / embeddings.dim(0);
        }
        return bytes;
    }

    /** Whether the token embedding matrix is also the LM head's projection. */
    public static boolean tiedEmbeddings(ModelWeights w) {
        return w.head() != null && w.head().projection() != null && sameData(w.head().projection(), w.tokenEmbeddings());
    }

    /**
     * The formats of the large matrices (the layers' linear weights, the embeddings and the head projection),
     * lower case, joined by "+" when they differ (e.g. {@code q8_0}, {@code bf16}).
     */
    public static String weightFormat(ModelWeights w) {
        Set<WeightFormat> formats = new LinkedHashSet<>();
        for (LayerWeights l : w.layers()) {
            for (Tensor t : new Tensor[]{l.wq(), l.wk(), l.wv(), l.wo(), l.wi(), l.wMlpOut()}) {
                formats.add(t.format());
            }
        }
        formats.add(w.tokenEmbeddings().format());
        if (w.head() != null && w.head().projection() != null) {
            formats.add(w.head().projection().format());
        }
        return formats.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("+"));
    }

    private static boolean sameData(Tensor a, Tensor b) {
        return a == b || a.data().equals(b.data());
    }

    /** Every tensor of the model (nulls left out). */
    static List<Tensor> tensors(ModelWeights w) {
        List<Tensor> all = new ArrayList<>();
        add(all, w.tokenEmbeddings(), w.embeddingNorm(), w.embeddingNormBias());
        for (LayerWeights l : w.layers()) {
            add(all, l.attnNorm(), l.attnNormBias(), l.wq(), l.bq(), l.wk(), l.bk(), l.wv(), l.bv(), l.wo(), l.bo(),
                    l.mlpNorm(), l.mlpNormBias(), l.wi(), l.bi(), l.wMlpOut(), l.bMlpOut());
        }
        add(all, w.finalNorm(), w.finalNormBias());
        HeadWeights h = w.head();
        if (h != null) {
            add(all, h.dense(), h.denseBias(), h.norm(), h.normBias(), h.projection(), h.projectionBias());
        }
        return all;
    }

    private static void add(List<Tensor> all, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                all.add(t);
            }
        }
    }
}
