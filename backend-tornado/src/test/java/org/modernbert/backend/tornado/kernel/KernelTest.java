package org.modernbert.backend.tornado.kernel;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modernbert.api.config.Activation;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.modernbert.backend.tornado.kernel.DeviceRunner.in;
import static org.modernbert.backend.tornado.kernel.DeviceRunner.run;

/** Each kernel on the TornadoVM device against a plain-Java reference (skipped without TORNADO_SDK). */
class KernelTest {
    private final Random random = new Random(7);

    @BeforeEach
    void device() {
        DeviceRunner.assumeDevice();
    }

    @Test
    void layerNormWithAndWithoutBias() {
        for (int width : new int[] {64, 100}) {
            for (int hasBias = 0; hasBias < 2; hasBias++) {
                int rows = 3;
                float[] x = floats(rows * width, 3);
                float[] w = floats(width, 1);
                float[] b = floats(width, 1);
                IntArray counts = counts(rows, 0, 0);
                FloatArray out = new FloatArray(rows * width);
                int bias = hasBias;
                run(rows * 64, 64, (g, ctx) -> g.task("t", Norms::layerNorm, ctx, counts, Step.TOKENS, fa(x), out, fa(w), fa(b), bias,
                        width, 1e-5f), in(counts), out);
                for (int r = 0; r < rows; r++) {
                    double mean = 0;
                    double var = 0;
                    for (int i = 0; i < width; i++) {
                        mean += x[r * width + i];
                    }
                    mean /= width;
                    for (int i = 0; i < width; i++) {
                        var += (x[r * width + i] - mean) * (x[r * width + i] - mean);
                    }
                    var /= width;
                    for (int i = 0; i < width; i++) {
                        double want = (x[r * width + i] - mean) / Math.sqrt(var + 1e-5) * w[i] + (bias == 1 ? b[i] : 0);
                        assertClose(want, out.get(r * width + i), 1e-5, "layerNorm width " + width + " row " + r + " [" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void matMulInEveryWeightLayout() {
        matMuls(false);
        matMuls(true);
    }

    /** Each layout with the work-group kernels ({@code item} false) or the one-work-item-per-output ones. */
    private void matMuls(boolean item) {
        int tokens = 3;
        int rows = 5;
        int cols = 96;
        float[] x = floats(tokens * cols, 1);
        float[] w = floats(rows * cols, 1);
        float[] bias = floats(rows, 1);
        float[] start = floats(tokens * rows, 1);
        IntArray counts = counts(tokens, 0, 0);
        // F32, with bias, accumulating into start
        FloatArray out = fa(start);
        int global = item ? 32 : tokens * rows * 32;
        if (item) {
            run(global, 32, (g, ctx) -> g.task("t", MatMul::f32Item, ctx, counts, Step.TOKENS, fa(x), cols, out, rows, fa(w), fa(bias),
                    1, 1, rows, cols), in(counts, out), out);
        } else {
            run(global, 32, (g, ctx) -> g.task("t", MatMul::f32, ctx, counts, Step.TOKENS, fa(x), cols, out, rows, fa(w), fa(bias),
                    1, 1, rows, cols), in(counts, out), out);
        }
        checkMatMul(x, w, bias, start, out, tokens, rows, cols, "f32");
        // BF16 and F16 as raw bits, stored stride wider than rows (outStride), no bias
        for (int format : new int[] {MatMul.BF16, MatMul.F16}) {
            short[] bits = new short[rows * cols];
            float[] decoded = new float[rows * cols];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = format == MatMul.BF16 ? (short) (Float.floatToIntBits(w[i]) >>> 16) : Float.floatToFloat16(w[i]);
                decoded[i] = format == MatMul.BF16 ? Float.intBitsToFloat((bits[i] & 0xFFFF) << 16) : Float.float16ToFloat(bits[i]);
            }
            ShortArray sw = new ShortArray(bits.length);
            for (int i = 0; i < bits.length; i++) {
                sw.set(i, bits[i]);
            }
            FloatArray o = new FloatArray(tokens * rows);
            o.init(0);
            if (item) {
                run(global, 32, (g, ctx) -> g.task("t", MatMul::bits16Item, ctx, counts, Step.TOKENS, fa(x), cols, o, rows, sw, format,
                        Formats.powersOfTwo(), fa(bias), 0, 0, rows, cols), in(counts, o), o);
            } else {
                run(global, 32, (g, ctx) -> g.task("t", MatMul::bits16, ctx, counts, Step.TOKENS, fa(x), cols, o, rows, sw, format,
                        Formats.powersOfTwo(), fa(bias), 0, 0, rows, cols), in(counts, o), o);
            }
            checkMatMul(x, decoded, null, null, o, tokens, rows, cols, format == MatMul.BF16 ? "bf16" : "f16");
        }
        // Q8_0: quants and one scale per block of 32
        byte[] quants = new byte[rows * cols];
        float[] scales = new float[rows * cols / 32];
        float[] decoded = new float[rows * cols];
        for (int i = 0; i < quants.length; i++) {
            quants[i] = (byte) (random.nextInt(255) - 127);
        }
        for (int i = 0; i < scales.length; i++) {
            scales[i] = random.nextFloat() * 0.01f;
        }
        for (int i = 0; i < decoded.length; i++) {
            decoded[i] = quants[i] * scales[i / 32];
        }
        FloatArray o = new FloatArray(tokens * rows);
        o.init(0);
        if (item) {
            run(global, 32, (g, ctx) -> g.task("t", MatMul::q8Item, ctx, counts, Step.TOKENS, fa(x), cols, o, rows, ByteArray.fromArray(quants),
                    fa(scales), fa(bias), 1, 0, rows, cols), in(counts, o), o);
        } else {
            run(global, 32, (g, ctx) -> g.task("t", MatMul::q8, ctx, counts, Step.TOKENS, fa(x), cols, o, rows, ByteArray.fromArray(quants),
                    fa(scales), fa(bias), 1, 0, rows, cols), in(counts, o), o);
        }
        checkMatMul(x, decoded, bias, null, o, tokens, rows, cols, "q8_0");
    }

    private static void checkMatMul(float[] x, float[] w, float[] bias, float[] start, FloatArray out, int tokens, int rows, int cols, String what) {
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double s = (bias == null ? 0 : bias[r]) + (start == null ? 0 : start[t * rows + r]);
                for (int c = 0; c < cols; c++) {
                    s += (double) w[r * cols + c] * x[t * cols + c];
                }
                assertClose(s, out.get(t * rows + r), 1e-4, what + " token " + t + " row " + r);
            }
        }
    }

    @Test
    void embeddingRowsAndGivenRows() {
        int hidden = 8;
        int vocab = 6;
        float[] table = floats(vocab * hidden, 1);
        int[] ids = {4, -1, 0};
        IntArray tokens = tokenMeta(ids, new int[3], new int[3], new int[3]);
        IntArray counts = counts(3, 1, 0);
        float[] given = floats(3 * hidden, 1);
        FloatArray x = new FloatArray(3 * hidden);
        run(32, 32, (g, ctx) -> g.task("t", Embedding::f32, ctx, counts, tokens, fa(given), x, fa(table), hidden), in(counts, tokens), x);
        checkEmbedding(ids, table, given, x, hidden, "f32");
        short[] bits = new short[table.length];
        float[] decoded = new float[table.length];
        ShortArray sw = new ShortArray(table.length);
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToFloat16(table[i]);
            decoded[i] = Float.float16ToFloat(bits[i]);
            sw.set(i, bits[i]);
        }
        FloatArray xh = new FloatArray(3 * hidden);
        run(32, 32, (g, ctx) -> g.task("t", Embedding::bits16, ctx, counts, tokens, fa(given), xh, sw, MatMul.F16, Formats.powersOfTwo(), hidden), in(counts, tokens), xh);
        checkEmbedding(ids, decoded, given, xh, hidden, "f16");
        byte[] quants = new byte[vocab * hidden * 4];
        float[] scales = new float[quants.length / 32];
        float[] dq = new float[quants.length];
        for (int i = 0; i < quants.length; i++) {
            quants[i] = (byte) (random.nextInt(255) - 127);
        }
        for (int i = 0; i < scales.length; i++) {
            scales[i] = random.nextFloat();
        }
        for (int i = 0; i < dq.length; i++) {
            dq[i] = quants[i] * scales[i / 32];
        }
        int h4 = hidden * 4;
        float[] given4 = floats(3 * h4, 1);
        FloatArray xq = new FloatArray(3 * h4);
        run(96, 32, (g, ctx) -> g.task("t", Embedding::q8, ctx, counts, tokens, fa(given4), xq, ByteArray.fromArray(quants), fa(scales), h4),
                in(counts, tokens), xq);
        checkEmbedding(ids, dq, given4, xq, h4, "q8_0");
    }

    private static void checkEmbedding(int[] ids, float[] table, float[] given, FloatArray x, int hidden, String what) {
        for (int t = 0; t < ids.length; t++) {
            for (int i = 0; i < hidden; i++) {
                float want = ids[t] < 0 ? given[t * hidden + i] : table[ids[t] * hidden + i];
                assertEquals(want, x.get(t * hidden + i), what + " token " + t + " [" + i + "]");
            }
        }
    }

    @Test
    void ropeRotatesQueriesAndKeys() {
        int heads = 2;
        int headDim = 8;
        int half = headDim / 2;
        int hidden = heads * headDim;
        int[] positions = {0, 5, 17};
        int maxPos = 20;
        float[] cos = new float[maxPos * half];
        float[] sin = new float[maxPos * half];
        for (int p = 0; p < maxPos; p++) {
            for (int j = 0; j < half; j++) {
                double a = p * Math.pow(10000, -2.0 * j / headDim);
                cos[p * half + j] = (float) Math.cos(a);
                sin[p * half + j] = (float) Math.sin(a);
            }
        }
        float[] q = floats(3 * hidden, 1);
        float[] k = floats(3 * hidden, 1);
        FloatArray dq = fa(q);
        FloatArray dk = fa(k);
        IntArray tokens = tokenMeta(new int[3], new int[3], positions, new int[3]);
        IntArray counts = counts(3, 1, 0);
        run(32, 32, (g, ctx) -> g.task("t", Rope::applyRope, ctx, counts, tokens, dq, dk, fa(cos), fa(sin), heads, headDim),
                in(counts, tokens, dq, dk), dq, dk);
        for (int t = 0; t < 3; t++) {
            for (int h = 0; h < heads; h++) {
                for (int j = 0; j < half; j++) {
                    int a = t * hidden + h * headDim + j;
                    double c = cos[positions[t] * half + j];
                    double s = sin[positions[t] * half + j];
                    assertClose(q[a] * c - q[a + half] * s, dq.get(a), 1e-6, "q");
                    assertClose(q[a + half] * c + q[a] * s, dq.get(a + half), 1e-6, "q");
                    assertClose(k[a] * c - k[a + half] * s, dk.get(a), 1e-6, "k");
                    assertClose(k[a + half] * c + k[a] * s, dk.get(a + half), 1e-6, "k");
                }
            }
        }
    }

    /**
     * Two sequences in one ragged step against a pool: sequence 0 has 5 cached positions and 3 new
     * ones, sequence 1 none cached and 4 new; on a sliding layer (window 3, ring 4: the cached
     * positions 1..4 sit in slots p % 4) and a full one; probabilities of sequence 1.
     */
    @Test
    void attentionOverPoolAndStepRows() {
        int heads = 2;
        int headDim = 4;
        int hidden = heads * headDim;
        int poolSlots = 20;
        int[] past = {5, 0};
        int[] n = {3, 4};
        for (int sliding = 0; sliding < 2; sliding++) {
            int window = 3;
            int ring = sliding == 1 ? 4 : 0;
            int[] base = {2, 10};
            int tokensTotal = 7;
            int[] seqOf = {0, 0, 0, 1, 1, 1, 1};
            int[] slotOf = {5, 6, 7, 0, 1, 2, 3};
            IntArray tokens = tokenMeta(new int[7], seqOf, new int[7], slotOf);
            int probsBase = 3;
            IntArray seqs = new IntArray(2 * Step.SEQ_FIELDS);
            for (int s = 0; s < 2; s++) {
                int o = s * Step.SEQ_FIELDS;
                seqs.set(o + Step.PAST, past[s]);
                seqs.set(o + Step.OFFSET, s == 0 ? 0 : 3);
                seqs.set(o + Step.LENGTH, n[s]);
                seqs.set(o + Step.FULL_BASE, base[s]);
                seqs.set(o + Step.SLIDE_BASE, base[s]);
                seqs.set(o + Step.RING, ring);
                seqs.set(o + Step.PROBS, s == 1 ? probsBase : -1);
            }
            float[] q = floats(tokensTotal * hidden, 1);
            float[] k = floats(tokensTotal * hidden, 1);
            float[] v = floats(tokensTotal * hidden, 1);
            int poolLayer = 1;
            float[] kPool = floats(2 * poolSlots * hidden, 1);
            float[] vPool = floats(2 * poolSlots * hidden, 1);
            FloatArray out = new FloatArray(tokensTotal * hidden);
            FloatArray probs = new FloatArray(probsBase + heads * 4 * 4);
            probs.init(7); // stale numbers: the kernel must zero the masked entries itself
            IntArray counts = counts(tokensTotal, 2, 0);
            float scale = 0.5f;
            int sl = sliding;
            run(32, 32, (g, ctx) -> g.task("t", Attention::attend, ctx, counts, tokens, seqs, fa(q), fa(k), fa(v), fa(kPool), fa(vPool), out,
                    probs, heads, headDim, sl, window, poolLayer * poolSlots, scale), in(counts, tokens, seqs, probs), out, probs);
            for (int t = 0; t < tokensTotal; t++) {
                int s = seqOf[t];
                int slot = slotOf[t];
                int first = sliding == 1 ? Math.max(0, slot - window + 1) : 0;
                for (int h = 0; h < heads; h++) {
                    double[] scores = new double[slot + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int p = first; p <= slot; p++) {
                        double dot = 0;
                        for (int j = 0; j < headDim; j++) {
                            dot += q[t * hidden + h * headDim + j] * key(p, s, h, j, k, kPool, past, base, ring, poolLayer, poolSlots, hidden, headDim, s == 0 ? 0 : 3);
                        }
                        scores[p] = dot * scale;
                        max = Math.max(max, scores[p]);
                    }
                    double sum = 0;
                    for (int p = first; p <= slot; p++) {
                        sum += Math.exp(scores[p] - max);
                    }
                    for (int j = 0; j < headDim; j++) {
                        double o = 0;
                        for (int p = first; p <= slot; p++) {
                            o += Math.exp(scores[p] - max) / sum
                                    * key(p, s, h, j, v, vPool, past, base, ring, poolLayer, poolSlots, hidden, headDim, s == 0 ? 0 : 3);
                        }
                        assertClose(o, out.get(t * hidden + h * headDim + j), 1e-5, "attention sliding=" + sliding + " token " + t);
                    }
                    if (s == 1) {
                        int keys = 4;
                        for (int p = 0; p < keys; p++) {
                            double want = p < first || p > slot ? 0 : Math.exp(scores[p] - max) / sum;
                            assertClose(want, probs.get(probsBase + (h * 4 + slot) * keys + p), 1e-6, "probability");
                        }
                    }
                }
            }
        }
    }

    /** The key (or value) of position p of sequence s as the kernel must see it: cached in the pool, or a step row. */
    private static float key(int p, int s, int h, int j, float[] step, float[] pool, int[] past, int[] base, int ring, int poolLayer,
                             int poolSlots, int hidden, int headDim, int offset) {
        if (p >= past[s]) {
            return step[(offset + p - past[s]) * hidden + h * headDim + j];
        }
        int slot = base[s] + (ring > 0 ? p % ring : p);
        return pool[(poolLayer * poolSlots + slot) * hidden + h * headDim + j];
    }

    @Test
    void cacheWritesKeepTheLastRingPositions() {
        int hidden = 4;
        int poolSlots = 12;
        // one sequence, 2 cached, 5 new; sliding ring of 3: only positions 4, 5, 6 are written (slots 1, 2, 0)
        for (int sliding = 0; sliding < 2; sliding++) {
            IntArray tokens = tokenMeta(new int[5], new int[5], new int[5], new int[] {2, 3, 4, 5, 6});
            IntArray seqs = new IntArray(Step.SEQ_FIELDS);
            seqs.set(Step.PAST, 2);
            seqs.set(Step.LENGTH, 5);
            seqs.set(Step.FULL_BASE, 3);
            seqs.set(Step.SLIDE_BASE, 6);
            seqs.set(Step.RING, 3);
            float[] k = floats(5 * hidden, 1);
            float[] v = floats(5 * hidden, 1);
            FloatArray kPool = new FloatArray(2 * poolSlots * hidden);
            FloatArray vPool = new FloatArray(2 * poolSlots * hidden);
            kPool.init(-9);
            vPool.init(-9);
            IntArray counts = counts(5, 1, 0);
            int sl = sliding;
            run(32, 32, (g, ctx) -> g.task("t", Attention::writeCache, ctx, counts, tokens, seqs, fa(k), fa(v), kPool, vPool, sl, poolSlots,
                    hidden), in(counts, tokens, seqs, kPool, vPool), kPool, vPool);
            for (int slot = 0; slot < poolSlots; slot++) {
                // full: position p at slot 3 + p, so positions 2..6 in slots 5..9; sliding: positions 4, 5, 6 at 6 + p % 3
                int position = -1;
                if (sliding == 0 && slot >= 5 && slot <= 9) {
                    position = slot - 3;
                }
                if (sliding == 1 && slot >= 6 && slot <= 8) {
                    position = new int[] {6, 4, 5}[slot - 6];
                }
                int t = position < 0 ? -1 : position - 2;
                for (int i = 0; i < hidden; i++) {
                    int at = (poolSlots + slot) * hidden + i;
                    float wantK = t >= 0 ? k[t * hidden + i] : -9;
                    float wantV = t >= 0 ? v[t * hidden + i] : -9;
                    assertEquals(wantK, kPool.get(at), "sliding=" + sliding + " slot " + slot);
                    assertEquals(wantV, vPool.get(at), "sliding=" + sliding + " slot " + slot);
                    assertEquals(-9f, kPool.get(slot * hidden + i), "layer 0 untouched");
                }
            }
        }
    }

    @Test
    void forkCopiesTheSlotsOfItsRegion() {
        int hidden = 3;
        int poolSlots = 10;
        for (int sliding = 0; sliding < 2; sliding++) {
            float[] k = floats(2 * poolSlots * hidden, 1);
            float[] v = floats(2 * poolSlots * hidden, 1);
            FloatArray dk = fa(k);
            FloatArray dv = fa(v);
            IntArray counts = counts(0, 0, 0);
            // full: 3 slots 1.. to 6..; sliding: 2 slots 4.. to 0..; the other kind's copy must not happen
            counts.set(Step.COPY_FULL, 3);
            counts.set(Step.FULL_FROM, 1);
            counts.set(Step.FULL_TO, 6);
            counts.set(Step.COPY_SLIDE, 2);
            counts.set(Step.SLIDE_FROM, 4);
            counts.set(Step.SLIDE_TO, 0);
            int sl = sliding;
            run(32, 32, (g, ctx) -> g.task("t", Attention::copySlots, ctx, counts, dk, dv, sl, poolSlots, hidden), in(counts, dk, dv), dk, dv);
            for (int slot = 0; slot < 2 * poolSlots; slot++) {
                int from = slot;
                int inRegion = slot - poolSlots;
                if (sliding == 0 && inRegion >= 6 && inRegion < 9) {
                    from = slot - 5;
                }
                if (sliding == 1 && inRegion >= 0 && inRegion < 2) {
                    from = slot + 4;
                }
                for (int i = 0; i < hidden; i++) {
                    assertEquals(k[from * hidden + i], dk.get(slot * hidden + i), "sliding=" + sliding + " slot " + slot);
                    assertEquals(v[from * hidden + i], dv.get(slot * hidden + i), "sliding=" + sliding + " slot " + slot);
                }
            }
        }
    }

    @Test
    void activationsMatchTheReferenceDefinitions() {
        Activation[] acts = {Activation.GELU, Activation.GELU_TANH, Activation.QUICK_GELU, Activation.SILU, Activation.RELU};
        int inter = 40;
        int rows = 2;
        float[] up = floats(rows * 2 * inter, 4);
        for (int a = 0; a < acts.length; a++) {
            FloatArray gated = new FloatArray(rows * inter);
            IntArray counts = counts(rows, 0, 0);
            int code = a;
            run(96, 32, (g, ctx) -> g.task("t", Activations::gated, ctx, counts, Step.TOKENS, fa(up), gated, inter, code), in(counts), gated);
            FloatArray plain = fa(up);
            run(192, 32, (g, ctx) -> g.task("t", Activations::inPlace, ctx, counts, Step.TOKENS, plain, 2 * inter, code), in(counts, plain), plain);
            for (int t = 0; t < rows; t++) {
                for (int i = 0; i < inter; i++) {
                    double want = acts[a].apply(up[t * 2 * inter + i]) * up[t * 2 * inter + inter + i];
                    assertClose(want, gated.get(t * inter + i), 2e-6, acts[a] + " gated");
                }
            }
            for (int i = 0; i < up.length; i++) {
                assertClose(acts[a].apply(up[i]), plain.get(i), 2e-6, acts[a] + " in place");
            }
        }
    }

    @Test
    void argmaxTakesTheLowestIndexOnTiesAndGatherPicksRows() {
        int width = 1000;
        int rows = 3;
        float[] x = floats(rows * width, 1);
        x[17] = 5;
        x[600] = 5; // tie in row 0: 17 wins
        x[width + 999] = 9;
        x[2 * width] = 9;
        IntArray result = new IntArray(rows);
        IntArray counts = counts(0, 0, rows);
        run(rows * 64, 64, (g, ctx) -> g.task("t", Rows::argmax, ctx, counts, Step.HEAD_ROWS, fa(x), result, width), in(counts), result);
        assertEquals(17, result.get(0));
        assertEquals(999, result.get(1));
        assertEquals(0, result.get(2));
        IntArray pick = IntArray.fromElements(2, 0);
        IntArray two = counts(0, 0, 2);
        FloatArray dst = new FloatArray(2 * width);
        run(2016, 32, (g, ctx) -> g.task("t", Rows::gather, ctx, two, Step.HEAD_ROWS, pick, fa(x), dst, width), in(two, pick), dst);
        for (int i = 0; i < width; i++) {
            assertEquals(x[2 * width + i], dst.get(i));
            assertEquals(x[i], dst.get(width + i));
        }
    }

    // ---- helpers

    private float[] floats(int n, float scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (random.nextGaussian() * scale);
        }
        return out;
    }

    static FloatArray fa(float[] values) {
        return FloatArray.fromArray(values);
    }

    static IntArray counts(int tokens, int sequences, int headRows) {
        IntArray c = new IntArray(Step.COUNTS);
        c.init(0);
        c.set(Step.TOKENS, tokens);
        c.set(Step.SEQUENCES, sequences);
        c.set(Step.HEAD_ROWS, headRows);
        return c;
    }

    static IntArray tokenMeta(int[] ids, int[] seqs, int[] positions, int[] slots) {
        IntArray m = new IntArray(ids.length * Step.TOKEN_FIELDS);
        for (int t = 0; t < ids.length; t++) {
            m.set(t * Step.TOKEN_FIELDS + Step.ID, ids[t]);
            m.set(t * Step.TOKEN_FIELDS + Step.SEQ, seqs[t]);
            m.set(t * Step.TOKEN_FIELDS + Step.POSITION, positions[t]);
            m.set(t * Step.TOKEN_FIELDS + Step.SLOT, slots[t]);
        }
        return m;
    }

    static void assertClose(double want, double got, double tol, String what) {
        if (!(Math.abs(want - got) <= tol * (1 + Math.abs(want)))) {
            throw new AssertionError(what + ": expected " + want + " got " + got + " (tolerance " + tol + " relative)");
        }
    }
}
