package org.modernbert.core.loading;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Brings a checkpoint's matrices (token embeddings, linear weights, head weights) into formats the
 * chosen backend executes, at load time: a matrix the backend cannot run is widened to F32 (or
 * BF16 where F32 is not run), and with {@code quantize} every matrix whose rows divide into the
 * format's blocks is converted to it. Norms and biases are left as stored. Converted tensors live
 * in the checkpoint's arena; untouched ones stay memory-mapped. A tied decoder is converted once.
 */
public final class WeightConversion {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Set<WeightFormat> executable;
    private final WeightFormat quantize;
    private final Arena arena;
    private final Map<Tensor, Tensor> converted = new IdentityHashMap<>();

    private WeightConversion(Set<WeightFormat> executable, WeightFormat quantize, Arena arena) {
        this.executable = executable;
        this.quantize = quantize;
        this.arena = arena;
    }

    /**
     * @param backend    the backend's name, for error messages
     * @param executable the matrix formats the backend runs
     * @param quantize   the format to quantize to, or null to keep stored formats where the backend runs them
     */
    public static ModelWeights convert(ModelWeights w, String backend, Set<WeightFormat> executable, WeightFormat quantize,
                                       Arena arena) {
        if (executable.isEmpty()) {
            throw new ModernBertException("backend " + backend + " declares no weight formats it can execute");
        }
        if (quantize != null && !executable.contains(quantize)) {
            throw new ModernBertException("backend " + backend + " does not execute " + quantize + " weights (it runs "
                    + executable + "); pick another backend or drop the quantization");
        }
        WeightConversion c = new WeightConversion(Set.copyOf(executable), quantize, arena);
        List<LayerWeights> layers = new ArrayList<>(w.layers().size());
        for (LayerWeights l : w.layers()) {
            layers.add(new LayerWeights(l.index(), l.attentionType(), l.ropeTheta(), l.attnNorm(), l.attnNormBias(),
                    c.matrix(l.wq()), l.bq(), c.matrix(l.wk()), l.bk(), c.matrix(l.wv()), l.bv(), c.matrix(l.wo()), l.bo(),
                    l.mlpNorm(), l.mlpNormBias(), c.matrix(l.wi()), l.bi(), c.matrix(l.wMlpOut()), l.bMlpOut()));
        }
        HeadWeights h = w.head();
        HeadWeights head = h == null ? null : new HeadWeights(h.kind(), h.activation(), c.matrix(h.dense()), h.denseBias(),
                h.norm(), h.normBias(), c.matrix(h.projection()), h.projectionBias(), h.outputs());
        return new ModelWeights(w.config(), c.matrix(w.tokenEmbeddings()), w.embeddingNorm(), w.embeddingNormBias(), layers,
                w.finalNorm(), w.finalNormBias(), head);
    }

    private Tensor matrix(Tensor t) {
        if (t == null) {
            return null;
        }
        return converted.computeIfAbsent(t, this::convert);
    }

    private Tensor convert(Tensor t) {
        WeightFormat target = quantize != null && quantize.fits(t.shape()) ? quantize : t.format();
        if (!executable.contains(target)) {
            target = executable.contains(WeightFormat.F32) ? WeightFormat.F32
                    : executable.contains(WeightFormat.BF16) ? WeightFormat.BF16 : null;
            if (target == null) {
                throw new ModernBertException("tensor " + t.name() + " is " + t.format() + " and the backend runs only "
                        + executable + ", which it cannot be converted to");
            }
        }
        return to(t, target, arena);
    }

    /** {@code t} in {@code target} format: itself when it already is, else a converted copy in {@code arena}. */
    public static Tensor to(Tensor t, WeightFormat target, Arena arena) {
        if (t.format() == target) {
            return t;
        }
        if (t.format().isQuantized() && target.isQuantized()) {
            throw new ModernBertException("tensor " + t.name() + " is " + t.format() + "; re-quantizing it to " + target
                    + " would compound the rounding: load the original weights");
        }
        long n = t.elementCount();
        MemorySegment dst = arena.allocate(target.byteSize(t.shape()), 64);
        switch (target) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    dst.set(F32_LE, i * 4, t.getFloat(i));
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    dst.set(I16_LE, i * 2, toBf16(t.getFloat(i)));
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    dst.set(I16_LE, i * 2, Float.floatToFloat16(t.getFloat(i)));
                }
            }
            case Q8_0 -> {
                long cols = t.dim(t.rank() - 1);
                Q8Quantizer.quantize(t.data(), t.format(), n / cols, cols, dst);
            }
        }
        return new Tensor(t.name(), target, t.shape(), dst);
    }

    /** Round to nearest even, as torch's {@code .to(torch.bfloat16)}. */
    private static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
