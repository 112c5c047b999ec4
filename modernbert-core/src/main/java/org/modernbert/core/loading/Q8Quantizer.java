package org.modernbert.core.loading;

import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Quantizes weight matrices to GGML's Q8_0 format, bit for bit as GGML's
 * {@code quantize_row_q8_0_ref} does it. A {@code [rows, cols]} row-major matrix with
 * {@code cols % 32 == 0} becomes {@code rows * cols / 32} blocks of 34 bytes, each an F16 scale
 * {@code d} (little-endian) followed by 32 int8 values {@code q}; the value of element {@code i} of a
 * block is {@code d * q[i]}. Per block: {@code amax = max |x|}, {@code d = amax / 127},
 * {@code id = d != 0 ? 1 / d : 0}, {@code q[i] = roundf(x[i] * id)} (nearest, ties away from zero),
 * all in float, and the stored scale is {@code d} rounded to F16 (q is computed with the unrounded
 * {@code d}, as in GGML).
 * <p>
 * Unlike GGML, which would write infinite or NaN scales, non-finite inputs and blocks whose scale
 * overflows F16 ({@code amax > 65504 * 127}) are rejected.
 */
public final class Q8Quantizer {
    /** Weights per block. */
    public static final int BLOCK = WeightFormat.Q8_0.blockSize();
    /** Bytes per block: the F16 scale, then 32 int8 values. */
    public static final int BLOCK_BYTES = WeightFormat.Q8_0.blockBytes();

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q8Quantizer() {
    }

    /**
     * The Q8_0 size of a {@code [rows, cols]} matrix in bytes.
     *
     * @throws IllegalArgumentException if {@code cols} is not a multiple of 32, or a size is negative
     *                                  or overflows
     */
    public static long byteSize(long rows, long cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative matrix shape [" + rows + ", " + cols + "]");
        }
        if (cols % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 needs a row length divisible by " + BLOCK + ", got " + cols);
        }
        return Math.multiplyExact(rows, Math.multiplyExact(cols / BLOCK, (long) BLOCK_BYTES));
    }

    /**
     * Quantizes the {@code [rows, cols]} row-major matrix in {@code src} (little-endian F32, F16 or
     * BF16, exactly {@code rows * cols} values) into {@code dst}, which must be exactly
     * {@link #byteSize(long, long)} bytes.
     *
     * @throws IllegalArgumentException on a size mismatch, {@code cols % 32 != 0}, a non-finite
     *                                  value, or a block scale beyond the F16 range
     */
    public static void quantize(MemorySegment src, WeightFormat srcType, long rows, long cols, MemorySegment dst) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(srcType, "srcType");
        Objects.requireNonNull(dst, "dst");
        long dstBytes = byteSize(rows, cols);
        long srcBytes = Math.multiplyExact(Math.multiplyExact(rows, cols), (long) srcType.blockBytes());
        if (src.byteSize() != srcBytes) {
            throw new IllegalArgumentException("source holds " + src.byteSize() + " bytes, a [" + rows + ", " + cols + "] "
                    + srcType + " matrix is " + srcBytes);
        }
        if (dst.byteSize() != dstBytes) {
            throw new IllegalArgumentException("destination holds " + dst.byteSize() + " bytes, the Q8_0 form of a ["
                    + rows + ", " + cols + "] matrix is " + dstBytes);
        }
        float[] x = new float[BLOCK];
        long blocksPerRow = cols / BLOCK;
        for (long r = 0; r < rows; r++) {
            for (long b = 0; b < blocksPerRow; b++) {
                long first = r * cols + b * BLOCK;
                read(src, srcType, first, x);
                float amax = 0f;
                for (int i = 0; i < BLOCK; i++) {
                    float v = x[i];
                    if (!Float.isFinite(v)) {
                        throw new IllegalArgumentException("non-finite value " + v + " at [" + r + ", " + (b * BLOCK + i) + "]");
                    }
                    amax = Math.max(amax, Math.abs(v));
                }
                float d = amax / 127f;
                float id = d != 0f ? 1f / d : 0f;
                short d16 = Float.floatToFloat16(d);
                if (Float.isInfinite(Float.float16ToFloat(d16))) {
                    throw new IllegalArgumentException("block scale " + d + " of row " + r + ", columns " + b * BLOCK + ".."
                            + (b * BLOCK + BLOCK - 1) + " overflows F16");
                }
                long out = (r * blocksPerRow + b) * BLOCK_BYTES;
                dst.set(I16_LE, out, d16);
                for (int i = 0; i < BLOCK; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, out + 2 + i, (byte) roundHalfAwayFromZero(x[i] * id));
                }
            }
        }
    }

    /** Element {@code index} (row-major, over the whole matrix) of a Q8_0 matrix, as a float. */
    public static float dequantize(MemorySegment q8, long index) {
        long block = (index / BLOCK) * BLOCK_BYTES;
        float d = Float.float16ToFloat(q8.get(I16_LE, block));
        return d * q8.get(ValueLayout.JAVA_BYTE, block + 2 + index % BLOCK);
    }

    /**
     * C's {@code roundf}: nearest integer, halfway cases away from zero ({@link Math#round} rounds
     * them up, so -2.5 would give -2). In double, {@code |v| + 0.5} is exact for any float below 2^29,
     * so the floor sees the true sum; here {@code |v| <= 127} (plus rounding).
     */
    static int roundHalfAwayFromZero(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (int) Math.copySign(a, v);
    }

    private static void read(MemorySegment src, WeightFormat type, long first, float[] x) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < BLOCK; i++) {
                    x[i] = src.get(F32_LE, (first + i) * 4);
                }
            }
            case F16 -> {
                for (int i = 0; i < BLOCK; i++) {
                    x[i] = Float.float16ToFloat(src.get(I16_LE, (first + i) * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < BLOCK; i++) {
                    x[i] = Float.intBitsToFloat((src.get(I16_LE, (first + i) * 2) & 0xFFFF) << 16);
                }
            }
            case Q8_0 -> throw new IllegalArgumentException("the source of a Q8_0 quantization must be F32, F16 or BF16");
        }
    }
}
