package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import org.modernbert.api.config.Activation;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@code y[t] = W x[t] (+ bias)} over a {@link PackedMatrix}, for every token of a step: the matrix
 * products of prefill (many tokens) and of decode (one token per sequence) alike. The unit of work is
 * a pair of panels ({@code 2 x LANES} output rows); callers split pairs across threads.
 * <p>
 * Register tiles are outer products: for each input index, the pair's two weight vectors are loaded
 * once (widened from BF16 or dequantised from Q8_0 in registers) and multiplied by one broadcast
 * activation per token of the tile, into {@code 2 x tokens} accumulators: 8 tokens (16 accumulators,
 * 2 weight loads per 16 FMAs), then 4, then single tokens (F32/BF16 over four pairs at a time, eight
 * independent accumulators and four streams in flight; Q8_0 over one). Tokens go in blocks whose
 * activations stay in L2 ({@link #tokenBlock}); within a block, loops go pair by pair, and every token
 * tile of a pair reads the same panels, which stay in the L1/L2 cache: each weight is fetched from
 * memory once per token block (once per step in decode, where a block holds every token).
 * <p>
 * Every output is one accumulator over the input indices in order, in every tile, so a token's
 * result depends neither on how pairs are split across threads nor on which other tokens share the
 * step: a sequence decoded in a batch gives the same bits as decoded alone.
 */
public final class Gemm {
    /** What to do with a result: overwrite y, or add to it (residual connections). */
    public enum Mode { STORE, ACCUMULATE }

    /** Floats of the per-thread scratch {@link #multiply} needs: one tile's results, then a Q8_0 block's scales. */
    public static final int SCRATCH_FLOATS = 18 * Lanes.LANES;
    /** Where in the scratch the Q8_0 tiles decode a block's scales (after one tile's 16 result vectors). */
    private static final int SCALES = 16 * Lanes.LANES;
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int P = Lanes.LANES;
    /** Shorts of one BF16 panel vector (same lane count as F). */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /**
     * Bytes of one Q8_0 panel vector. With 4 float lanes that would be a 32-bit vector, which does not
     * exist, so there a 64-bit one holds two input indices and each half is widened separately.
     */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 4)));
    private static final int B_PARTS = B.length() / P;
    /*
     * Where panel b's int8 values of an input index are, relative to panel a's: the next P bytes, read
     * as their own vector; with 4 lanes in the same 8-byte vector as panel a's, whose second half is
     * widened. So every Q8_0 load is convertShape(B2F, F, half * B_PART) of the bytes at
     * row + half * B_SKIP, with no branch.
     */
    private static final int B_SKIP = B_PARTS == 1 ? P : 0;
    private static final int B_PART = B_PARTS == 1 ? 0 : 1;
    /** 2^112: turns an F16 bit pattern shifted into F32 position (exponent bias 15 read as 127) into its value. */
    private static final float F16_EXPONENT_FIX = 0x1p112f;
    private static final int Q8 = PackedMatrix.Q8_BLOCK;
    private static final int Q8_BYTES = PackedMatrix.Q8_PAIR_BLOCK_BYTES;
    private static final int Q8_VALUES = PackedMatrix.Q8_VALUES;
    /** Activation bytes of one token block (see {@link #multiply}): well inside a 1 MB L2 beside the weights' pair panel. */
    private static final int TOKEN_BLOCK_BYTES = 256 * 1024;

    private Gemm() {
    }

    /** Whether this machine's vectors are wide enough for the kernels: at least 4 float lanes (128 bits). */
    public static boolean supportsThisMachine() {
        return P >= 4;
    }

    /**
     * For tokens {@code t < tokens} and panel pairs {@code [pairFrom, pairTo)}: the outputs of those
     * pairs, {@code y[yOff + t * yStride + o]} for their output indices {@code o}. A gated matrix
     * writes {@code act(a) * b} ({@link GatedActivation}) and needs {@code act}; a plain one ignores it. {@code scratch} holds
     * at least {@link #SCRATCH_FLOATS} floats, one array per thread.
     */
    public static void multiply(PackedMatrix w, float[] x, int xOff, int xStride, int tokens,
                                float[] y, int yOff, int yStride, int pairFrom, int pairTo, Mode mode, Activation act,
                                float[] scratch) {
        if (w.gated && (act == null || mode != Mode.STORE)) {
            throw new IllegalArgumentException("a gated matrix needs an activation and Mode.STORE");
        }
        int block = tokenBlock(w.in);
        for (int t = 0; t < tokens; t += block) {
            int n = Math.min(block, tokens - t);
            multiplyBlock(w, x, xOff + t * xStride, xStride, n, y, yOff + t * yStride, yStride, pairFrom, pairTo, mode, act, scratch);
        }
    }

    /**
     * Tokens per block for rows of {@code in} inputs: as many as fit {@link #TOKEN_BLOCK_BYTES} of
     * activations, a multiple of the 8-token tile, at least 8. The block's activations stay in the
     * core's L2 while every pair streams past them, instead of each pair re-reading the whole step's
     * from L3 (+1-4% on a 512-token 2304 x 768 product on one core; see docs/performance.md).
     */
    static int tokenBlock(int in) {
        return Math.max(8, (TOKEN_BLOCK_BYTES / (4 * in)) & -8);
    }

    private static void multiplyBlock(PackedMatrix w, float[] x, int xOff, int xStride, int tokens,
                                      float[] y, int yOff, int yStride, int pairFrom, int pairTo, Mode mode, Activation act,
                                      float[] scratch) {
        // each tile has a Q8_0 and an F32/BF16 method: one method holding both is too big for C2, which
        // then stops inlining the vector helpers and boxes every vector
        boolean q8 = w.format == PackedMatrix.Format.Q8_0;
        int tiled = tokens - tokens % 4;
        for (int pair = pairFrom; pair < pairTo; pair++) {
            int t = 0;
            for (; t + 8 <= tokens; t += 8) {
                int x0 = xOff + t * xStride;
                int y0 = yOff + t * yStride;
                if (q8) {
                    tile8Q8(w, pair, x, x0, xStride, y, y0, yStride, mode, act, scratch);
                } else {
                    tile8F(w, pair, x, x0, xStride, y, y0, yStride, mode, act, scratch);
                }
            }
            if (t < tiled) {
                int x0 = xOff + t * xStride;
                int y0 = yOff + t * yStride;
                if (q8) {
                    tile4Q8(w, pair, x, x0, xStride, y, y0, yStride, mode, act, scratch);
                } else {
                    tile4F(w, pair, x, x0, xStride, y, y0, yStride, mode, act, scratch);
                }
            }
        }
        // single tokens: F32/BF16 over four pairs at a time (see tile1F);
        // Q8_0 over one pair, whose dequantisation gives the FMAs enough independent work (and four
        // pairs' worth of it exceeds what C2 inlines into one method)
        int pairStep = q8 ? 1 : 4;
        for (int pair = pairFrom; pair < pairTo && tiled < tokens; pair += pairStep) {
            int pairs = Math.min(4, pairTo - pair);
            for (int t = tiled; t < tokens; t++) {
                if (q8) {
                    tile1Q8(w, pair, x, xOff + t * xStride, y, yOff + t * yStride, mode, act, scratch);
                } else {
                    tile1F(w, pair, pairs, x, xOff + t * xStride, y, yOff + t * yStride, mode, act, scratch);
                }
            }
        }
    }

    // ---------------------------------------------------------------- weight loads

    /** The panel vector at byte {@code at} of an F32 or BF16 panel. */
    private static FloatVector load(MemorySegment m, boolean bf16, long at) {
        if (bf16) {
            ShortVector s = ShortVector.fromMemorySegment(S, m, at, ByteOrder.LITTLE_ENDIAN);
            return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        return FloatVector.fromMemorySegment(F, m, at, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The {@code 2P} F16 scales of the Q8_0 pair block at byte {@code block} (panel a's, then panel
     * b's), as exact floats (subnormals included), into {@code out[off..]}. Through an array, and the
     * int8 loads written out in each tile, because a vector returned from a call C2 does not inline is
     * boxed: with helpers returning vectors, whether the Q8_0 tiles ran at full speed or at two thirds
     * of it depended on C2's inlining budget in that run.
     */
    private static void decodeScales(PackedMatrix w, long block, float[] out, int off) {
        for (int half = 0; half < 2; half++) {
            ShortVector s = ShortVector.fromMemorySegment(S, w.data, block + half * w.halfBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector h = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
            FloatVector magnitude = h.lanewise(VectorOperators.AND, 0x7FFF).lanewise(VectorOperators.LSHL, 13)
                    .reinterpretAsFloats().mul(F16_EXPONENT_FIX);
            IntVector sign = h.lanewise(VectorOperators.AND, 0x8000).lanewise(VectorOperators.LSHL, 16);
            magnitude.reinterpretAsInts().lanewise(VectorOperators.OR, sign).reinterpretAsFloats().intoArray(out, off + half * P);
        }
    }

    // ---------------------------------------------------------------- tiles

    private static void tile8Q8(PackedMatrix w, int pair, float[] x, int x0, int xs, float[] y, int y0, int ys, Mode mode, Activation act, float[] scratch) {
        MemorySegment m = w.data;
        long pa = pair * w.pairBytes;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs, x4 = x3 + xs, x5 = x4 + xs, x6 = x5 + xs, x7 = x6 + xs;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        int in = w.in;
        for (int k0 = 0; k0 < in; k0 += Q8, pa += Q8_BYTES) {
            decodeScales(w, pa, scratch, SCALES);
            FloatVector da = FloatVector.fromArray(F, scratch, SCALES);
            FloatVector db = FloatVector.fromArray(F, scratch, SCALES + P);
            for (int c = 0; c < Q8; c++) {
                int k = k0 + c;
                long row = pa + Q8_VALUES + (long) c * 2 * P;
                FloatVector wa = ((FloatVector) ByteVector.fromMemorySegment(B, m, row, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(da);
                FloatVector wb = ((FloatVector) ByteVector.fromMemorySegment(B, m, row + B_SKIP, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, B_PART)).mul(db);
                FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
                a0 = v.fma(wa, a0); b0 = v.fma(wb, b0);
                v = FloatVector.broadcast(F, x[x1 + k]);
                a1 = v.fma(wa, a1); b1 = v.fma(wb, b1);
                v = FloatVector.broadcast(F, x[x2 + k]);
                a2 = v.fma(wa, a2); b2 = v.fma(wb, b2);
                v = FloatVector.broadcast(F, x[x3 + k]);
                a3 = v.fma(wa, a3); b3 = v.fma(wb, b3);
                v = FloatVector.broadcast(F, x[x4 + k]);
                a4 = v.fma(wa, a4); b4 = v.fma(wb, b4);
                v = FloatVector.broadcast(F, x[x5 + k]);
                a5 = v.fma(wa, a5); b5 = v.fma(wb, b5);
                v = FloatVector.broadcast(F, x[x6 + k]);
                a6 = v.fma(wa, a6); b6 = v.fma(wb, b6);
                v = FloatVector.broadcast(F, x[x7 + k]);
                a7 = v.fma(wa, a7); b7 = v.fma(wb, b7);
            }
        }
        a0.intoArray(scratch, 0 * P);
        b0.intoArray(scratch, 1 * P);
        a1.intoArray(scratch, 2 * P);
        b1.intoArray(scratch, 3 * P);
        a2.intoArray(scratch, 4 * P);
        b2.intoArray(scratch, 5 * P);
        a3.intoArray(scratch, 6 * P);
        b3.intoArray(scratch, 7 * P);
        a4.intoArray(scratch, 8 * P);
        b4.intoArray(scratch, 9 * P);
        a5.intoArray(scratch, 10 * P);
        b5.intoArray(scratch, 11 * P);
        a6.intoArray(scratch, 12 * P);
        b6.intoArray(scratch, 13 * P);
        a7.intoArray(scratch, 14 * P);
        b7.intoArray(scratch, 15 * P);
        epilogue(w, y, y0, ys, mode, act, pair, scratch, 0, 8);
    }

    private static void tile8F(PackedMatrix w, int pair, float[] x, int x0, int xs, float[] y, int y0, int ys, Mode mode, Activation act, float[] scratch) {
        MemorySegment m = w.data;
        long pa = pair * w.pairBytes;
        long pb = pa + w.halfBytes;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs, x4 = x3 + xs, x5 = x4 + xs, x6 = x5 + xs, x7 = x6 + xs;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        int in = w.in;
        boolean bf16 = w.format == PackedMatrix.Format.BF16;
        long step = 2L * P * w.format.valueBytes;
        for (int k = 0; k < in; k++, pa += step, pb += step) {
            FloatVector wa = load(m, bf16, pa);
            FloatVector wb = load(m, bf16, pb);
            FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
            a0 = v.fma(wa, a0); b0 = v.fma(wb, b0);
            v = FloatVector.broadcast(F, x[x1 + k]);
            a1 = v.fma(wa, a1); b1 = v.fma(wb, b1);
            v = FloatVector.broadcast(F, x[x2 + k]);
            a2 = v.fma(wa, a2); b2 = v.fma(wb, b2);
            v = FloatVector.broadcast(F, x[x3 + k]);
            a3 = v.fma(wa, a3); b3 = v.fma(wb, b3);
            v = FloatVector.broadcast(F, x[x4 + k]);
            a4 = v.fma(wa, a4); b4 = v.fma(wb, b4);
            v = FloatVector.broadcast(F, x[x5 + k]);
            a5 = v.fma(wa, a5); b5 = v.fma(wb, b5);
            v = FloatVector.broadcast(F, x[x6 + k]);
            a6 = v.fma(wa, a6); b6 = v.fma(wb, b6);
            v = FloatVector.broadcast(F, x[x7 + k]);
            a7 = v.fma(wa, a7); b7 = v.fma(wb, b7);
        }
        a0.intoArray(scratch, 0 * P);
        b0.intoArray(scratch, 1 * P);
        a1.intoArray(scratch, 2 * P);
        b1.intoArray(scratch, 3 * P);
        a2.intoArray(scratch, 4 * P);
        b2.intoArray(scratch, 5 * P);
        a3.intoArray(scratch, 6 * P);
        b3.intoArray(scratch, 7 * P);
        a4.intoArray(scratch, 8 * P);
        b4.intoArray(scratch, 9 * P);
        a5.intoArray(scratch, 10 * P);
        b5.intoArray(scratch, 11 * P);
        a6.intoArray(scratch, 12 * P);
        b6.intoArray(scratch, 13 * P);
        a7.intoArray(scratch, 14 * P);
        b7.intoArray(scratch, 15 * P);
        epilogue(w, y, y0, ys, mode, act, pair, scratch, 0, 8);
    }

    private static void tile4Q8(PackedMatrix w, int pair, float[] x, int x0, int xs, float[] y, int y0, int ys, Mode mode, Activation act, float[] scratch) {
        MemorySegment m = w.data;
        long pa = pair * w.pairBytes;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int in = w.in;
        for (int k0 = 0; k0 < in; k0 += Q8, pa += Q8_BYTES) {
            decodeScales(w, pa, scratch, SCALES);
            FloatVector da = FloatVector.fromArray(F, scratch, SCALES);
            FloatVector db = FloatVector.fromArray(F, scratch, SCALES + P);
            for (int c = 0; c < Q8; c++) {
                int k = k0 + c;
                long row = pa + Q8_VALUES + (long) c * 2 * P;
                FloatVector wa = ((FloatVector) ByteVector.fromMemorySegment(B, m, row, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(da);
                FloatVector wb = ((FloatVector) ByteVector.fromMemorySegment(B, m, row + B_SKIP, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, B_PART)).mul(db);
                FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
                a0 = v.fma(wa, a0); b0 = v.fma(wb, b0);
                v = FloatVector.broadcast(F, x[x1 + k]);
                a1 = v.fma(wa, a1); b1 = v.fma(wb, b1);
                v = FloatVector.broadcast(F, x[x2 + k]);
                a2 = v.fma(wa, a2); b2 = v.fma(wb, b2);
                v = FloatVector.broadcast(F, x[x3 + k]);
                a3 = v.fma(wa, a3); b3 = v.fma(wb, b3);
            }
        }
        a0.intoArray(scratch, 0 * P);
        b0.intoArray(scratch, 1 * P);
        a1.intoArray(scratch, 2 * P);
        b1.intoArray(scratch, 3 * P);
        a2.intoArray(scratch, 4 * P);
        b2.intoArray(scratch, 5 * P);
        a3.intoArray(scratch, 6 * P);
        b3.intoArray(scratch, 7 * P);
        epilogue(w, y, y0, ys, mode, act, pair, scratch, 0, 4);
    }

    private static void tile4F(PackedMatrix w, int pair, float[] x, int x0, int xs, float[] y, int y0, int ys, Mode mode, Activation act, float[] scratch) {
        MemorySegment m = w.data;
        long pa = pair * w.pairBytes;
        long pb = pa + w.halfBytes;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int in = w.in;
        boolean bf16 = w.format == PackedMatrix.Format.BF16;
        long step = 2L * P * w.format.valueBytes;
        for (int k = 0; k < in; k++, pa += step, pb += step) {
            FloatVector wa = load(m, bf16, pa);
            FloatVector wb = load(m, bf16, pb);
            FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
            a0 = v.fma(wa, a0); b0 = v.fma(wb, b0);
            v = FloatVector.broadcast(F, x[x1 + k]);
            a1 = v.fma(wa, a1); b1 = v.fma(wb, b1);
            v = FloatVector.broadcast(F, x[x2 + k]);
            a2 = v.fma(wa, a2); b2 = v.fma(wb, b2);
            v = FloatVector.broadcast(F, x[x3 + k]);
            a3 = v.fma(wa, a3); b3 = v.fma(wb, b3);
        }
        a0.intoArray(scratch, 0 * P);
        b0.intoArray(scratch, 1 * P);
        a1.intoArray(scratch, 2 * P);
        b1.intoArray(scratch, 3 * P);
        a2.intoArray(scratch, 4 * P);
        b2.intoArray(scratch, 5 * P);
        a3.intoArray(scratch, 6 * P);
        b3.intoArray(scratch, 7 * P);
        epilogue(w, y, y0, ys, mode, act, pair, scratch, 0, 4);
    }

    /** One token over one pair of Q8_0 panels. */
    private static void tile1Q8(PackedMatrix w, int pair, float[] x, int x0, float[] y, int y0, Mode mode, Activation act,
                                float[] scratch) {
        MemorySegment m = w.data;
        long pa = pair * w.pairBytes;
        FloatVector a = FloatVector.zero(F), b = a;
        int in = w.in;
        for (int k0 = 0; k0 < in; k0 += Q8, pa += Q8_BYTES) {
            decodeScales(w, pa, scratch, SCALES);
            FloatVector da = FloatVector.fromArray(F, scratch, SCALES);
            FloatVector db = FloatVector.fromArray(F, scratch, SCALES + P);
            for (int c = 0; c < Q8; c++) {
                long row = pa + Q8_VALUES + (long) c * 2 * P;
                FloatVector wa = ((FloatVector) ByteVector.fromMemorySegment(B, m, row, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0)).mul(da);
                FloatVector wb = ((FloatVector) ByteVector.fromMemorySegment(B, m, row + B_SKIP, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, B_PART)).mul(db);
                FloatVector v = FloatVector.broadcast(F, x[x0 + k0 + c]);
                a = v.fma(wa, a);
                b = v.fma(wb, b);
            }
        }
        a.intoArray(scratch, 0);
        b.intoArray(scratch, P);
        epilogue(w, y, y0, 0, mode, act, pair, scratch, 0, 1);
    }

    /**
     * One token over up to four consecutive pairs (eight panels: eight independent accumulators, and
     * four streams in flight, which a single token needs to draw the memory's bandwidth: with two
     * pairs a decode matrix streamed at ~32 GB/s on this machine's two cores, with four at ~45).
     * Missing pairs re-read the first (their results are not stored).
     */
    private static void tile1F(PackedMatrix w, int pair, int pairs, float[] x, int x0, float[] y, int y0, Mode mode, Activation act,
                               float[] scratch) {
        MemorySegment m = w.data;
        long half = w.halfBytes;
        long p0 = pair * w.pairBytes;
        long p1 = pairs > 1 ? p0 + w.pairBytes : p0;
        long p2 = pairs > 2 ? p1 + w.pairBytes : p0;
        long p3 = pairs > 3 ? p2 + w.pairBytes : p0;
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        int in = w.in;
        boolean bf16 = w.format == PackedMatrix.Format.BF16;
        long step = 2L * P * w.format.valueBytes;
        for (int k = 0; k < in; k++, p0 += step, p1 += step, p2 += step, p3 += step) {
            FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
            a0 = v.fma(load(m, bf16, p0), a0);
            b0 = v.fma(load(m, bf16, p0 + half), b0);
            a1 = v.fma(load(m, bf16, p1), a1);
            b1 = v.fma(load(m, bf16, p1 + half), b1);
            a2 = v.fma(load(m, bf16, p2), a2);
            b2 = v.fma(load(m, bf16, p2 + half), b2);
            a3 = v.fma(load(m, bf16, p3), a3);
            b3 = v.fma(load(m, bf16, p3 + half), b3);
        }
        a0.intoArray(scratch, 0);
        b0.intoArray(scratch, P);
        a1.intoArray(scratch, 2 * P);
        b1.intoArray(scratch, 3 * P);
        a2.intoArray(scratch, 4 * P);
        b2.intoArray(scratch, 5 * P);
        a3.intoArray(scratch, 6 * P);
        b3.intoArray(scratch, 7 * P);
        for (int i = 0; i < pairs; i++) {
            epilogue(w, y, y0, 0, mode, act, pair + i, scratch, 2 * i * P, 1);
        }
    }

    // ---------------------------------------------------------------- epilogue

    /**
     * Bias, then the gate or the store of the {@code tokens} rows of results a tile left in
     * {@code scratch} (panel a of token t at {@code 2t * P}, panel b at {@code (2t + 1) * P}). The
     * tiles go through scratch rather than passing vectors here: a call that C2 does not inline
     * would box every vector argument, and the tiles are too big for it to inline more.
     */
    private static void epilogue(PackedMatrix w, float[] y, int y0, int ys, Mode mode, Activation act, int pair, float[] scratch,
                                 int base, int tokens) {
        if (w.gated) {
            gatedEpilogue(w, y, y0, ys, act, pair, scratch, base, tokens);
            return;
        }
        int col = 2 * pair * P;
        int validA = Math.min(P, w.outputs - col);
        int validB = Math.min(P, w.outputs - col - P);
        boolean accumulate = mode == Mode.ACCUMULATE;
        // written out per panel, not through a helper taking a vector: C2 does not always inline one
        // here, and then boxes the vector of every call
        for (int t = 0; t < tokens; t++) {
            int at = y0 + t * ys + col;
            FloatVector a = FloatVector.fromArray(F, scratch, base + 2 * t * P);
            FloatVector b = FloatVector.fromArray(F, scratch, base + (2 * t + 1) * P);
            if (w.bias != null) {
                a = a.add(FloatVector.fromArray(F, w.bias, 2 * pair * P));
                b = b.add(FloatVector.fromArray(F, w.bias, (2 * pair + 1) * P));
            }
            if (validB == P) {
                if (accumulate) {
                    a = a.add(FloatVector.fromArray(F, y, at));
                    b = b.add(FloatVector.fromArray(F, y, at + P));
                }
                a.intoArray(y, at);
                b.intoArray(y, at + P);
            } else {
                VectorMask<Float> maskA = F.indexInRange(0, validA);
                if (accumulate) {
                    a = a.add(FloatVector.fromArray(F, y, at, maskA));
                }
                a.intoArray(y, at, maskA);
                if (validB > 0) {
                    VectorMask<Float> maskB = F.indexInRange(0, validB);
                    if (accumulate) {
                        b = b.add(FloatVector.fromArray(F, y, at + P, maskB));
                    }
                    b.intoArray(y, at + P, maskB);
                }
            }
        }
    }

    /** {@code act(a) * b} per token, through {@link GatedActivation}, which reads a row [act half | gate half]. */
    private static void gatedEpilogue(PackedMatrix w, float[] y, int y0, int ys, Activation act, int pair, float[] scratch,
                                      int base, int tokens) {
        int valid = Math.min(P, w.outputs - pair * P);
        if (w.bias != null) {
            FloatVector biasA = FloatVector.fromArray(F, w.bias, 2 * pair * P);
            FloatVector biasB = FloatVector.fromArray(F, w.bias, (2 * pair + 1) * P);
            for (int t = 0; t < tokens; t++) {
                int at = base + 2 * t * P;
                FloatVector.fromArray(F, scratch, at).add(biasA).intoArray(scratch, at);
                FloatVector.fromArray(F, scratch, at + P).add(biasB).intoArray(scratch, at + P);
            }
        }
        if (valid == P) {
            // the tile left each token's rows as [a | b], exactly the layout GatedActivation reads
            GatedActivation.apply(act, scratch, base, 2 * P, y, y0 + pair * P, ys, P, tokens);
            return;
        }
        for (int t = 0; t < tokens; t++) {
            int at = base + 2 * t * P;
            System.arraycopy(scratch, at + P, scratch, at + valid, valid);
            GatedActivation.apply(act, scratch, at, 2 * P, y, y0 + t * ys + pair * P, ys, valid, 1);
        }
    }
}
