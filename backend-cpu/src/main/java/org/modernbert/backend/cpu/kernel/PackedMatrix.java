package org.modernbert.backend.cpu.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix {@code W [rows, in]} repacked once at load into the layout {@link Gemm} streams:
 * panels of {@link Lanes#LANES} output rows (one vector per input index), so a micro-kernel
 * multiplies one weight vector by a broadcast activation for every token of its tile (an outer
 * product, no lane reductions). Panels go in pairs, the kernels' unit of work, interleaved by input
 * index ({@code [in][2][LANES]}): a tile reads its pair as one stream front to back (for BF16 one
 * 64-byte cache line per input index), which the hardware prefetcher follows better than two
 * streams a panel apart. Rows past the matrix are zero.
 * <p>
 * Formats: F32 and BF16 panels hold the values as the checkpoint had them (BF16 is widened in
 * registers). Q8_0 keeps GGML's 34 bytes per 32 weights: per block of 32 input indices, the
 * {@code 2 x LANES} F16 scales of the pair's rows, then {@code [32][2][LANES]} int8 values.
 * <p>
 * A gated matrix ({@code [2 * half, in]}, the GeGLU {@code Wi} whose first half is activated and
 * multiplied by the second) pairs panel {@code j} of the first half with panel {@code j} of the second,
 * so one tile computes both factors of the same outputs and writes {@code act(a) * b} directly.
 */
public final class PackedMatrix {
    /** How the source and the panels hold their values. */
    public enum Format {
        /** Little-endian float32. */
        F32(4),
        /** Little-endian bfloat16 (the upper half of a float32). */
        BF16(2),
        /** GGML Q8_0 rows: per 32 values an F16 scale then 32 int8; value = scale * int8 (1 byte per value, plus scales). */
        Q8_0(1);

        final int valueBytes;

        Format(int valueBytes) {
            this.valueBytes = valueBytes;
        }
    }

    static final int P = Lanes.LANES;
    static final int Q8_BLOCK = 32;
    /** Bytes of one Q8_0 block of one pair: {@code 2P} F16 scales, then {@code 32 x 2P} int8. */
    static final int Q8_PAIR_BLOCK_BYTES = 2 * (P * 2 + Q8_BLOCK * P);
    /** Where a Q8_0 pair block's int8 values start (after the scales). */
    static final int Q8_VALUES = 4 * P;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final Format format;
    final int rows;
    final int in;
    final int pairs;
    final boolean gated;
    /** Outputs written per token: {@code rows}, or {@code rows / 2} for a gated matrix. */
    final int outputs;
    final long pairBytes;
    /** Bytes from a pair's panel a to its panel b at the same input index (for Q8_0, between their scales). */
    final long halfBytes;
    final MemorySegment data;
    /** Per panel lane, in panel order (zeros on padding), or null. */
    final float[] bias;

    private PackedMatrix(Format format, int rows, int in, boolean gated, MemorySegment src, float[] bias) {
        if (format == Format.Q8_0 && in % Q8_BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 weights need a row length divisible by " + Q8_BLOCK + ", got " + in);
        }
        if (gated && rows % 2 != 0) {
            throw new IllegalArgumentException("a gated matrix needs an even number of rows, got " + rows);
        }
        this.format = format;
        this.rows = rows;
        this.in = in;
        this.gated = gated;
        this.outputs = gated ? rows / 2 : rows;
        int panels = gated ? 2 * ceilDiv(rows / 2, P) : 2 * ceilDiv(rows, 2 * P);
        this.pairs = panels / 2;
        this.halfBytes = format == Format.Q8_0 ? 2L * P : (long) P * format.valueBytes;
        this.pairBytes = format == Format.Q8_0 ? (long) (in / Q8_BLOCK) * Q8_PAIR_BLOCK_BYTES : 2L * in * P * format.valueBytes;
        // the GC frees the panels with the executor that holds them; 64-byte alignment keeps vector loads in one cache line
        this.data = Arena.ofAuto().allocate(pairBytes * pairs, 64);
        this.bias = bias == null ? null : new float[panels * P];
        for (int panel = 0; panel < panels; panel++) {
            for (int lane = 0; lane < P; lane++) {
                int row = sourceRow(panel, lane);
                if (row >= 0) {
                    copyRow(src, row, panel, lane);
                    if (bias != null) {
                        this.bias[panel * P + lane] = bias[row];
                    }
                }
            }
        }
    }

    /** Packs {@code W [rows, in]} read from {@code src} in {@code format}; bias (per row) may be null. */
    public static PackedMatrix pack(MemorySegment src, Format format, int rows, int in, float[] bias) {
        return new PackedMatrix(format, rows, in, false, src, bias);
    }

    /** Packs a gated {@code W [2 * half, in]}: outputs {@code act(W[j] x) * W[half + j] x}, see the class comment. */
    public static PackedMatrix packGated(MemorySegment src, Format format, int half, int in, float[] bias) {
        return new PackedMatrix(format, 2 * half, in, true, src, bias);
    }

    /** Output values per token. */
    public int outputs() {
        return outputs;
    }

    public int in() {
        return in;
    }

    /** Units of work of {@link Gemm#multiply}: each pair of panels. */
    public int pairs() {
        return pairs;
    }

    /** Bytes of packed weights (what one token streams through). */
    public long byteSize() {
        return data.byteSize();
    }

    /** The source row behind a panel's lane, or -1 for padding. */
    private int sourceRow(int panel, int lane) {
        if (gated) {
            int half = rows / 2;
            int j = (panel / 2) * P + lane;
            return j < half ? (panel % 2) * half + j : -1;
        }
        int row = panel * P + lane;
        return row < rows ? row : -1;
    }

    private void copyRow(MemorySegment src, int row, int panel, int lane) {
        long base = (panel / 2) * pairBytes;
        int half = panel % 2;
        switch (format) {
            case F32 -> {
                long s = (long) row * in * 4;
                for (int k = 0; k < in; k++) {
                    data.set(F32_LE, base + ((long) k * 2 * P + half * P + lane) * 4, src.get(F32_LE, s + (long) k * 4));
                }
            }
            case BF16 -> {
                long s = (long) row * in * 2;
                for (int k = 0; k < in; k++) {
                    data.set(I16_LE, base + ((long) k * 2 * P + half * P + lane) * 2, src.get(I16_LE, s + (long) k * 2));
                }
            }
            case Q8_0 -> {
                int blocks = in / Q8_BLOCK;
                long s = (long) row * blocks * (2 + Q8_BLOCK);
                for (int b = 0; b < blocks; b++) {
                    long srcBlock = s + (long) b * (2 + Q8_BLOCK);
                    long dstBlock = base + (long) b * Q8_PAIR_BLOCK_BYTES;
                    short scale = src.get(I16_LE, srcBlock);
                    if ((scale & 0x7C00) == 0x7C00) {
                        throw new IllegalArgumentException("row " + row + ", block " + b + ": the Q8_0 scale is not finite");
                    }
                    data.set(I16_LE, dstBlock + (half * P + lane) * 2L, scale);
                    for (int c = 0; c < Q8_BLOCK; c++) {
                        data.set(ValueLayout.JAVA_BYTE, dstBlock + Q8_VALUES + (long) c * 2 * P + half * P + lane,
                                src.get(ValueLayout.JAVA_BYTE, srcBlock + 2 + c));
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
