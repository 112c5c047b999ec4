package org.modernbert.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.modernbert.api.config.Activation;
import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The hot loops of the CPU backend, on the Java Vector API. Weights are read in place from their
 * (memory-mapped) segments: F32 directly, BF16 widened in registers (a BF16 value is the upper half of
 * an F32), Q8_0 blocks widened and scaled in registers. Everything here is static, final and
 * allocation-free; callers split work across threads.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Same lane count as {@link #F}: BF16 weights are loaded as shorts, then widened to ints. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final int LANES = F.length();

    /**
     * Weight formats of {@link #matmul}, as plain codes so the kernels depend on no API type (the
     * executor maps its own format enum onto these).
     */
    static final class WeightCodes {
        /** Little-endian float32. */
        static final int F32 = 0;
        /** Little-endian bfloat16, widened in registers. */
        static final int BF16 = 1;
        /** GGML Q8_0: per 32 weights of a row, an F16 scale {@code d} then 32 int8 {@code q}; w = d * q. */
        static final int Q8_0 = 2;

        private WeightCodes() {
        }
    }

    /** Weights per Q8_0 block. */
    static final int Q8_BLOCK = WeightFormat.Q8_0.blockSize();
    /** Bytes per Q8_0 block: the F16 scale, then the 32 int8 values. */
    static final int Q8_BLOCK_BYTES = WeightFormat.Q8_0.blockBytes();
    /**
     * Q8_0 values are loaded as bytes and widened straight to floats (B2F). Ideally one byte vector
     * holds {@link #LANES} bytes; with 4 float lanes that would be a 32-bit vector, which does not
     * exist, so there the smallest (64-bit) one is loaded and each half widened separately.
     */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 4)));
    private static final int B_PARTS = B.length() / LANES;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private VectorKernels() {
    }

    // ---------------------------------------------------------------- weight loads

    private static FloatVector loadW(MemorySegment w, boolean bf16, long elem) {
        if (bf16) {
            ShortVector s = ShortVector.fromMemorySegment(S, w, elem * 2, ByteOrder.LITTLE_ENDIAN);
            IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
            return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        return FloatVector.fromMemorySegment(F, w, elem * 4, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The Q8_0 weights {@code c .. c + LANES - 1} of the block whose int8 values start at byte
     * {@code q}, times the block scale: exactly the dequantized values (an 8-bit integer times an
     * F16 scale has at most 19 significant bits, so the float product is not rounded).
     */
    private static FloatVector loadQ8(MemorySegment w, long q, int c, FloatVector d) {
        if (B_PARTS == 1) {
            ByteVector b = ByteVector.fromMemorySegment(B, w, q + c, ByteOrder.LITTLE_ENDIAN);
            return ((FloatVector) b.convertShape(VectorOperators.B2F, F, 0)).mul(d);
        }
        // 4 float lanes: load the 8 aligned bytes holding this chunk and widen its half
        int part = (c / LANES) % B_PARTS;
        ByteVector b = ByteVector.fromMemorySegment(B, w, q + c - (long) part * LANES, ByteOrder.LITTLE_ENDIAN);
        return ((FloatVector) b.convertShape(VectorOperators.B2F, F, part)).mul(d);
    }

    /** The F16 scale of the Q8_0 block starting at byte {@code block}. */
    private static float q8Scale(MemorySegment w, long block) {
        return Float.float16ToFloat(w.get(I16_LE, block));
    }

    static float weight(MemorySegment w, boolean bf16, long elem) {
        if (bf16) {
            return Float.intBitsToFloat((w.get(I16_LE, elem * 2) & 0xFFFF) << 16);
        }
        return w.get(F32_LE, elem * 4);
    }

    /** {@code ROTATE[k]} moves lane {@code i + (LANES >> (k + 1))} onto lane {@code i} (wrapping). */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] ROTATE = new VectorShuffle[Integer.numberOfTrailingZeros(LANES)];

    static {
        for (int k = 0; k < ROTATE.length; k++) {
            int half = LANES >> (k + 1);
            ROTATE[k] = VectorShuffle.fromOp(F, i -> (i + half) % LANES);
        }
    }

    /**
     * Lane sum in a fixed order (pairwise halves). {@code reduceLanes(ADD)} leaves the order open, and
     * the interpreter and the JIT then round differently, so the same input could give slightly
     * different logits before and after warm-up; this keeps every run bit-for-bit reproducible.
     * Rotations by a constant shuffle compile to single permutes ({@code slice} needs a blend too);
     * lane 0 sees exactly the additions {@code slice} would give.
     */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> rotate : ROTATE) {
            v = v.add(v.rearrange(rotate));
        }
        return v.lane(0);
    }

    /** Lane distance between the four results of {@link #sum4}. */
    static final int QUARTER = LANES / 4;
    // single constants, not array elements, so C2 sees fixed shuffles (fewer nodes, see sum4)
    private static final VectorShuffle<Float> ROTATE_HALF = rotation(LANES / 2);
    private static final VectorShuffle<Float> ROTATE_QUARTER = rotation(QUARTER);
    private static final VectorShuffle<Float> ROTATE_BACK_QUARTER = rotation(LANES - QUARTER);
    private static final VectorShuffle<Float> ROTATE_EIGHTH = rotation(Math.max(1, LANES / 8));
    private static final VectorShuffle<Float> ROTATE_SIXTEENTH = rotation(Math.max(1, LANES / 16));

    /** Moves lane {@code i + by} onto lane {@code i} (wrapping). */
    private static VectorShuffle<Float> rotation(int by) {
        return VectorShuffle.fromOp(F, i -> (i + by) % LANES);
    }
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(F, ((1L << LANES) - 1) & (-1L << (LANES / 2)));
    private static final VectorMask<Float> ODD_QUARTERS = oddQuarters();

    private static VectorMask<Float> oddQuarters() {
        boolean[] bits = new boolean[LANES];
        for (int i = 0; i < LANES; i++) {
            bits[i] = (i / QUARTER) % 2 == 1;
        }
        return VectorMask.fromArray(F, bits, 0);
    }

    /**
     * Four {@link #sum}s at once: lane {@code k * QUARTER} of the result is {@code sum} of the k-th
     * argument, bit for bit (the same additions, operands at most swapped, which IEEE addition
     * allows). The first two levels pack two and then four vectors into one with a blend, so the
     * later levels add four partial sums per instruction: 8 permutes instead of 16 at 16 lanes, and
     * small enough for C2 to inline into the tiles (twelve separate sums were not: the vectors then
     * went to the heap). Needs at least 4 lanes, which the BF16 species check guarantees.
     */
    static FloatVector sum4(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        // lanes [0, L/2): a's pairwise half sums; [L/2, L): c's (lane i + L/2 holds c[i + L/2] + c[i])
        FloatVector ac = a.add(a.rearrange(ROTATE_HALF)).blend(c.add(c.rearrange(ROTATE_HALF)), UPPER_HALF);
        FloatVector bd = b.add(b.rearrange(ROTATE_HALF)).blend(d.add(d.rearrange(ROTATE_HALF)), UPPER_HALF);
        // quarters a, b, c, d: a and c add the next quarter, b and d the previous one (same pairs)
        FloatVector v = ac.add(ac.rearrange(ROTATE_QUARTER))
                .blend(bd.add(bd.rearrange(ROTATE_BACK_QUARTER)), ODD_QUARTERS);
        // the remaining levels stay inside each quarter (LANES is a constant: dead branches fold away)
        if (LANES >= 8) {
            v = v.add(v.rearrange(ROTATE_EIGHTH));
        }
        if (LANES >= 16) {
            v = v.add(v.rearrange(ROTATE_SIXTEENTH));
        }
        for (int k = 4; k < ROTATE.length; k++) {
            v = v.add(v.rearrange(ROTATE[k]));
        }
        return v;
    }

    // ---------------------------------------------------------------- matmul

    /**
     * {@code y[t, o] (+)= sum_i x[t, i] * W[o, i] + bias[o]} for tokens {@code t < tokens} and output
     * rows {@code rowStart <= o < rowEnd}. W is {@code [out, in]} row-major in one of the
     * {@link WeightCodes} formats (little-endian). For F32 and BF16, groups of 4 tokens take tiles of
     * 4 tokens x 2 rows (each weight vector reused by 4 tokens, 8 independent accumulators, reduced by
     * two {@link #sum4}); single tokens take 4 rows per pass sharing each activation load. A 4 x 3
     * tile was tried: it passes C2's node limit, so some of its reductions were left as calls, their
     * vectors boxed on the heap, and it ran 3x slower per multiply-add than the single-token path.
     * Q8_0 has its own tiles of the same shapes, see {@link #matmulQ8}.
     *
     * @param format     a {@link WeightCodes} constant
     * @param accumulate add to y instead of overwriting it (residual connections)
     * @param bias       per output row, or null
     * @throws IllegalArgumentException for an unknown format, or Q8_0 with {@code in % 32 != 0}
     */
    static void matmul(float[] x, int xOff, int xStride, int tokens, int in,
                       MemorySegment w, int format, float[] bias,
                       float[] y, int yOff, int yStride, int rowStart, int rowEnd, boolean accumulate) {
        switch (format) {
            case WeightCodes.F32 -> matmul(x, xOff, xStride, tokens, in, w, false, bias, y, yOff, yStride, rowStart, rowEnd, accumulate);
            case WeightCodes.BF16 -> matmul(x, xOff, xStride, tokens, in, w, true, bias, y, yOff, yStride, rowStart, rowEnd, accumulate);
            case WeightCodes.Q8_0 -> {
                if (in % Q8_BLOCK != 0) {
                    throw new IllegalArgumentException("Q8_0 weights need a row length divisible by " + Q8_BLOCK + ", got " + in);
                }
                if (LANES > Q8_BLOCK) {
                    throw new IllegalArgumentException("Q8_0 weights need float vectors of at most " + Q8_BLOCK + " lanes, have " + LANES);
                }
                matmulQ8(x, xOff, xStride, tokens, in, w, bias, y, yOff, yStride, rowStart, rowEnd, accumulate);
            }
            default -> throw new IllegalArgumentException("unknown weight format code " + format);
        }
    }

    private static void matmul(float[] x, int xOff, int xStride, int tokens, int in,
                               MemorySegment w, boolean bf16, float[] bias,
                               float[] y, int yOff, int yStride, int rowStart, int rowEnd, boolean accumulate) {
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int o = rowStart;
            for (; o + 2 <= rowEnd; o += 2) {
                tile4x2(x, xOff + t * xStride, xStride, in, w, bf16, bias, y, yOff + t * yStride, yStride, o, accumulate);
            }
            for (; o < rowEnd; o++) {
                for (int tt = t; tt < t + 4; tt++) {
                    tile1x1(x, xOff + tt * xStride, in, w, bf16, bias, y, yOff + tt * yStride, o, accumulate);
                }
            }
        }
        for (; t < tokens; t++) {
            int xo = xOff + t * xStride;
            int yo = yOff + t * yStride;
            int o = rowStart;
            for (; o + 4 <= rowEnd; o += 4) {
                tile1x4(x, xo, in, w, bf16, bias, y, yo, o, accumulate);
            }
            for (; o < rowEnd; o++) {
                tile1x1(x, xo, in, w, bf16, bias, y, yo, o, accumulate);
            }
        }
    }

    private static void store(float[] y, int idx, float v, float[] bias, int o, boolean accumulate) {
        if (bias != null) {
            v += bias[o];
        }
        y[idx] = accumulate ? y[idx] + v : v;
    }

    private static void tile4x2(float[] x, int x0, int xs, int in, MemorySegment w, boolean bf16, float[] bias,
                                float[] y, int y0, int ys, int o, boolean accumulate) {
        long w0 = (long) o * in;
        long w1 = w0 + in;
        int x1 = x0 + xs;
        int x2 = x1 + xs;
        int x3 = x2 + xs;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
        int upper = F.loopBound(in);
        int i = 0;
        for (; i < upper; i += LANES) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector r = loadW(w, bf16, w0 + i);
            a00 = v0.fma(r, a00);
            a10 = v1.fma(r, a10);
            a20 = v2.fma(r, a20);
            a30 = v3.fma(r, a30);
            r = loadW(w, bf16, w1 + i);
            a01 = v0.fma(r, a01);
            a11 = v1.fma(r, a11);
            a21 = v2.fma(r, a21);
            a31 = v3.fma(r, a31);
        }
        // one packed reduction per weight row: its four tokens' sums sit QUARTER lanes apart
        FloatVector p0 = sum4(a00, a10, a20, a30);
        FloatVector p1 = sum4(a01, a11, a21, a31);
        float s00 = p0.lane(0), s01 = p1.lane(0);
        float s10 = p0.lane(QUARTER), s11 = p1.lane(QUARTER);
        float s20 = p0.lane(2 * QUARTER), s21 = p1.lane(2 * QUARTER);
        float s30 = p0.lane(3 * QUARTER), s31 = p1.lane(3 * QUARTER);
        for (; i < in; i++) {
            float r0 = weight(w, bf16, w0 + i);
            float r1 = weight(w, bf16, w1 + i);
            float v0 = x[x0 + i], v1 = x[x1 + i], v2 = x[x2 + i], v3 = x[x3 + i];
            s00 += v0 * r0; s01 += v0 * r1;
            s10 += v1 * r0; s11 += v1 * r1;
            s20 += v2 * r0; s21 += v2 * r1;
            s30 += v3 * r0; s31 += v3 * r1;
        }
        int y1 = y0 + ys, y2 = y1 + ys, y3 = y2 + ys;
        store(y, y0 + o, s00, bias, o, accumulate);
        store(y, y0 + o + 1, s01, bias, o + 1, accumulate);
        store(y, y1 + o, s10, bias, o, accumulate);
        store(y, y1 + o + 1, s11, bias, o + 1, accumulate);
        store(y, y2 + o, s20, bias, o, accumulate);
        store(y, y2 + o + 1, s21, bias, o + 1, accumulate);
        store(y, y3 + o, s30, bias, o, accumulate);
        store(y, y3 + o + 1, s31, bias, o + 1, accumulate);
    }

    private static void tile1x4(float[] x, int x0, int in, MemorySegment w, boolean bf16, float[] bias,
                                float[] y, int y0, int o, boolean accumulate) {
        long w0 = (long) o * in;
        long w1 = w0 + in;
        long w2 = w1 + in;
        long w3 = w2 + in;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int upper = F.loopBound(in);
        int i = 0;
        for (; i < upper; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            a0 = v.fma(loadW(w, bf16, w0 + i), a0);
            a1 = v.fma(loadW(w, bf16, w1 + i), a1);
            a2 = v.fma(loadW(w, bf16, w2 + i), a2);
            a3 = v.fma(loadW(w, bf16, w3 + i), a3);
        }
        // four separate sums measured ~5% faster here than one sum4 (whose results need lane extracts)
        float s0 = sum(a0), s1 = sum(a1);
        float s2 = sum(a2), s3 = sum(a3);
        for (; i < in; i++) {
            float v = x[x0 + i];
            s0 += v * weight(w, bf16, w0 + i);
            s1 += v * weight(w, bf16, w1 + i);
            s2 += v * weight(w, bf16, w2 + i);
            s3 += v * weight(w, bf16, w3 + i);
        }
        store(y, y0 + o, s0, bias, o, accumulate);
        store(y, y0 + o + 1, s1, bias, o + 1, accumulate);
        store(y, y0 + o + 2, s2, bias, o + 2, accumulate);
        store(y, y0 + o + 3, s3, bias, o + 3, accumulate);
    }

    private static void tile1x1(float[] x, int x0, int in, MemorySegment w, boolean bf16, float[] bias,
                                float[] y, int y0, int o, boolean accumulate) {
        long w0 = (long) o * in;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int upper2 = in - in % (2 * LANES);
        int i = 0;
        for (; i < upper2; i += 2 * LANES) {
            a0 = FloatVector.fromArray(F, x, x0 + i).fma(loadW(w, bf16, w0 + i), a0);
            a1 = FloatVector.fromArray(F, x, x0 + i + LANES).fma(loadW(w, bf16, w0 + i + LANES), a1);
        }
        int upper = F.loopBound(in);
        for (; i < upper; i += LANES) {
            a0 = FloatVector.fromArray(F, x, x0 + i).fma(loadW(w, bf16, w0 + i), a0);
        }
        float s = sum(a0.add(a1));
        for (; i < in; i++) {
            s += x[x0 + i] * weight(w, bf16, w0 + i);
        }
        store(y, y0 + o, s, bias, o, accumulate);
    }

    // ---------------------------------------------------------------- Q8_0 matmul

    /**
     * Q8_0 weights: each 32-weight block is loaded as bytes, widened to floats in registers and
     * multiplied by its F16 scale before the multiply-adds ({@link #loadQ8}). That product is exact,
     * so the sums are those of an F32 matmul over the dequantized matrix, not an approximation of
     * it; scaling per-block partial sums instead would round once more per block and, in the 4-token
     * tile, cost a multiply per token instead of one per weight vector shared by 4 tokens.
     * <p>
     * The rows a tile reads together are half (4x2) or a quarter (1x4) of the range apart, not
     * adjacent: a Q8_0 row of 768 weights is only 816 bytes, so adjacent rows put 2-4 interleaved
     * streams in one 4 KiB page, which the hardware prefetcher apparently does not follow. With the
     * weights streamed from memory (AMD Zen 5, one thread) the adjacent-row 1x4 tile ran ~3x slower
     * than this one, and from cache it was no faster. The sums do not change: see the next paragraph.
     * <p>
     * Every output is one accumulator over the row's lanes in order, then {@link #sum} (or the
     * bit-identical {@link #sum4}), in all three tiles. So a result depends neither on how rows are
     * split across threads nor on how many tokens are in the batch: a token decoded alone gives the
     * same bits as in a batch (the F32/BF16 1x1 tile uses two accumulators and lacks this).
     */
    private static void matmulQ8(float[] x, int xOff, int xStride, int tokens, int in, MemorySegment w, float[] bias,
                                 float[] y, int yOff, int yStride, int rowStart, int rowEnd, boolean accumulate) {
        long rowBytes = (long) (in / Q8_BLOCK) * Q8_BLOCK_BYTES;
        int rows = rowEnd - rowStart;
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int half = rows / 2;
            for (int o = rowStart; o < rowStart + half; o++) {
                q8Tile4x2(x, xOff + t * xStride, xStride, in, w, rowBytes, bias, y, yOff + t * yStride, yStride, o, half, accumulate);
            }
            for (int o = rowStart + 2 * half; o < rowEnd; o++) {
                for (int tt = t; tt < t + 4; tt++) {
                    q8Tile1x1(x, xOff + tt * xStride, in, w, rowBytes, bias, y, yOff + tt * yStride, o, accumulate);
                }
            }
        }
        int quarter = rows / 4;
        for (; t < tokens; t++) {
            int xo = xOff + t * xStride;
            int yo = yOff + t * yStride;
            for (int o = rowStart; o < rowStart + quarter; o++) {
                q8Tile1x4(x, xo, in, w, rowBytes, bias, y, yo, o, quarter, accumulate);
            }
            for (int o = rowStart + 4 * quarter; o < rowEnd; o++) {
                q8Tile1x1(x, xo, in, w, rowBytes, bias, y, yo, o, accumulate);
            }
        }
    }

    /** 4 tokens x rows {@code o, o + gap}: each dequantized weight vector feeds 4 multiply-adds. */
    private static void q8Tile4x2(float[] x, int x0, int xs, int in, MemorySegment w, long rowBytes, float[] bias,
                                  float[] y, int y0, int ys, int o, int gap, boolean accumulate) {
        long b0 = o * rowBytes;
        long b1 = b0 + gap * rowBytes;
        int o1 = o + gap;
        int x1 = x0 + xs;
        int x2 = x1 + xs;
        int x3 = x2 + xs;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
        for (int i = 0; i < in; i += Q8_BLOCK, b0 += Q8_BLOCK_BYTES, b1 += Q8_BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, q8Scale(w, b0));
            FloatVector d1 = FloatVector.broadcast(F, q8Scale(w, b1));
            // LANES is a constant: C2 unrolls this to 32 / LANES steps
            for (int c = 0; c < Q8_BLOCK; c += LANES) {
                FloatVector v0 = FloatVector.fromArray(F, x, x0 + i + c);
                FloatVector v1 = FloatVector.fromArray(F, x, x1 + i + c);
                FloatVector v2 = FloatVector.fromArray(F, x, x2 + i + c);
                FloatVector v3 = FloatVector.fromArray(F, x, x3 + i + c);
                FloatVector r = loadQ8(w, b0 + 2, c, d0);
                a00 = v0.fma(r, a00);
                a10 = v1.fma(r, a10);
                a20 = v2.fma(r, a20);
                a30 = v3.fma(r, a30);
                r = loadQ8(w, b1 + 2, c, d1);
                a01 = v0.fma(r, a01);
                a11 = v1.fma(r, a11);
                a21 = v2.fma(r, a21);
                a31 = v3.fma(r, a31);
            }
        }
        FloatVector p0 = sum4(a00, a10, a20, a30);
        FloatVector p1 = sum4(a01, a11, a21, a31);
        int y1 = y0 + ys, y2 = y1 + ys, y3 = y2 + ys;
        store(y, y0 + o, p0.lane(0), bias, o, accumulate);
        store(y, y0 + o1, p1.lane(0), bias, o1, accumulate);
        store(y, y1 + o, p0.lane(QUARTER), bias, o, accumulate);
        store(y, y1 + o1, p1.lane(QUARTER), bias, o1, accumulate);
        store(y, y2 + o, p0.lane(2 * QUARTER), bias, o, accumulate);
        store(y, y2 + o1, p1.lane(2 * QUARTER), bias, o1, accumulate);
        store(y, y3 + o, p0.lane(3 * QUARTER), bias, o, accumulate);
        store(y, y3 + o1, p1.lane(3 * QUARTER), bias, o1, accumulate);
    }

    /** 1 token x rows {@code o + k * gap}, k < 4: each activation vector feeds 4 rows. */
    private static void q8Tile1x4(float[] x, int x0, int in, MemorySegment w, long rowBytes, float[] bias,
                                  float[] y, int y0, int o, int gap, boolean accumulate) {
        long step = gap * rowBytes;
        long b0 = o * rowBytes;
        long b1 = b0 + step;
        long b2 = b1 + step;
        long b3 = b2 + step;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int i = 0; i < in; i += Q8_BLOCK) {
            FloatVector d0 = FloatVector.broadcast(F, q8Scale(w, b0));
            FloatVector d1 = FloatVector.broadcast(F, q8Scale(w, b1));
            FloatVector d2 = FloatVector.broadcast(F, q8Scale(w, b2));
            FloatVector d3 = FloatVector.broadcast(F, q8Scale(w, b3));
            for (int c = 0; c < Q8_BLOCK; c += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, x0 + i + c);
                a0 = v.fma(loadQ8(w, b0 + 2, c, d0), a0);
                a1 = v.fma(loadQ8(w, b1 + 2, c, d1), a1);
                a2 = v.fma(loadQ8(w, b2 + 2, c, d2), a2);
                a3 = v.fma(loadQ8(w, b3 + 2, c, d3), a3);
            }
            b0 += Q8_BLOCK_BYTES;
            b1 += Q8_BLOCK_BYTES;
            b2 += Q8_BLOCK_BYTES;
            b3 += Q8_BLOCK_BYTES;
        }
        int o1 = o + gap, o2 = o1 + gap, o3 = o2 + gap;
        store(y, y0 + o, sum(a0), bias, o, accumulate);
        store(y, y0 + o1, sum(a1), bias, o1, accumulate);
        store(y, y0 + o2, sum(a2), bias, o2, accumulate);
        store(y, y0 + o3, sum(a3), bias, o3, accumulate);
    }

    /** 1 token x 1 row, for the rows left over by the other tiles. */
    private static void q8Tile1x1(float[] x, int x0, int in, MemorySegment w, long rowBytes, float[] bias,
                                  float[] y, int y0, int o, boolean accumulate) {
        long b0 = o * rowBytes;
        FloatVector a0 = FloatVector.zero(F);
        for (int i = 0; i < in; i += Q8_BLOCK, b0 += Q8_BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, q8Scale(w, b0));
            for (int c = 0; c < Q8_BLOCK; c += LANES) {
                a0 = FloatVector.fromArray(F, x, x0 + i + c).fma(loadQ8(w, b0 + 2, c, d0), a0);
            }
        }
        store(y, y0 + o, sum(a0), bias, o, accumulate);
    }

    // ---------------------------------------------------------------- attention helpers

    /** {@code sum_i a[aOff + i] * b[bOff + i]}. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += LANES) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = sum(acc);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** {@code y[yOff + i] += alpha * x[xOff + i]}. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += LANES) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    // ---------------------------------------------------------------- element-wise

    /**
     * LayerNorm of {@code n} values into {@code out} (may be {@code x} itself): two passes (mean, then
     * variance of the deviations) in double, never {@code E[x^2] - E[x]^2}, which cancels badly.
     */
    static void layerNorm(float[] x, int xOff, int n, float[] weight, float[] bias, double eps, float[] out, int outOff) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xOff + i];
        }
        double mean = sum / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double d = x[xOff + i] - mean;
            sq += d * d;
        }
        double inv = 1.0 / Math.sqrt(sq / n + eps);
        for (int i = 0; i < n; i++) {
            double v = (x[xOff + i] - mean) * inv * weight[i];
            if (bias != null) {
                v += bias[i];
            }
            out[outOff + i] = (float) v;
        }
    }

    /** {@code out[j] = act(u[j]) * u[half + j]} for one token (GeGLU style gated MLP input). */
    static void gatedActivation(Activation act, float[] u, int uOff, int half, float[] out, int outOff) {
        if (act == Activation.GELU) {
            for (int j = 0; j < half; j++) {
                out[outOff + j] = (float) (gelu(u[uOff + j]) * u[uOff + half + j]);
            }
            return;
        }
        for (int j = 0; j < half; j++) {
            out[outOff + j] = (float) (act.apply(u[uOff + j]) * u[uOff + half + j]);
        }
    }

    /** {@code x[off + j] = act(x[off + j])} for {@code n} values. */
    static void activate(Activation act, float[] x, int off, int n) {
        if (act == Activation.GELU) {
            for (int j = 0; j < n; j++) {
                x[off + j] = (float) gelu(x[off + j]);
            }
            return;
        }
        for (int j = 0; j < n; j++) {
            x[off + j] = (float) act.apply(x[off + j]);
        }
    }

    // ---------------------------------------------------------------- erf

    private static final double INV_SQRT2 = 0.7071067811865476;

    /** Exact (erf) GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, with {@link #erf}. */
    static double gelu(double x) {
        return 0.5 * x * (1.0 + erf(x * INV_SQRT2));
    }

    /*
     * Least-squares Chebyshev fits (2000 Chebyshev nodes, 40-digit reference erf), converted to powers of
     * the mapped variable so Horner runs on [-1, 1]:
     *   |x| < 2:      erf(x) = x * A(s),                   s = (x^2 - 2) / 2
     *   2 <= |x| < 6: erf(x) = 1 - exp(-x^2) / x * B(r),   r = (1/x - 1/6) * 6 - 1   (1/x in [1/6, 1/2])
     *   |x| >= 6:     erf(x) = 1 (erfc(6) = 2e-17)
     * Max abs error against the exact function: 3e-13 (A) and 2e-14 (B).
     */
    private static final double A0 = 0.6749332360398015, A1 = -0.26111186093138095, A2 = 0.11947913859554031,
            A3 = -0.04866277744410358, A4 = 0.01712834480046479, A5 = -0.005234875890604814,
            A6 = 0.0014050900545343758, A7 = -0.0003351432748768563, A8 = 7.180490832927595e-05,
            A9 = -1.3946903933204636e-05, A10 = 2.4701111998936417e-06, A11 = -4.0368873183878723e-07,
            A12 = 6.529247703336564e-08, A13 = -9.159377822275052e-09;
    private static final double B0 = 0.5370034535440321, B1 = -0.023826556719133828, B2 = -0.003204801307397859,
            B3 = 0.0009059264794885501, B4 = -7.918379996841953e-05, B5 = -1.2427863560160099e-05,
            B6 = 5.916085558328272e-06, B7 = -1.0229143145638324e-06, B8 = 1.0443842030314824e-08,
            B9 = 5.3924650480390655e-08, B10 = -1.525409844148088e-08;

    /**
     * The error function from two polynomial fits (see above), within 1e-12 of
     * {@link Activation#erf} but without its series loop; NaN stays NaN.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.0) {
            double s = (x * x - 2.0) * 0.5;
            double p = A13;
            p = Math.fma(p, s, A12);
            p = Math.fma(p, s, A11);
            p = Math.fma(p, s, A10);
            p = Math.fma(p, s, A9);
            p = Math.fma(p, s, A8);
            p = Math.fma(p, s, A7);
            p = Math.fma(p, s, A6);
            p = Math.fma(p, s, A5);
            p = Math.fma(p, s, A4);
            p = Math.fma(p, s, A3);
            p = Math.fma(p, s, A2);
            p = Math.fma(p, s, A1);
            p = Math.fma(p, s, A0);
            return x * p;
        }
        if (ax < 6.0) {
            double inv = 1.0 / ax;
            double r = inv * 6.0 - 2.0;
            double p = B10;
            p = Math.fma(p, r, B9);
            p = Math.fma(p, r, B8);
            p = Math.fma(p, r, B7);
            p = Math.fma(p, r, B6);
            p = Math.fma(p, r, B5);
            p = Math.fma(p, r, B4);
            p = Math.fma(p, r, B3);
            p = Math.fma(p, r, B2);
            p = Math.fma(p, r, B1);
            p = Math.fma(p, r, B0);
            return Math.copySign(1.0 - Math.exp(-ax * ax) * inv * p, x);
        }
        return Double.isNaN(x) ? x : Math.copySign(1.0, x);
    }
}
