package org.modernbert.core.loading;

import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Quantization to GGML's Q8_0, exactly as {@code quantize_row_q8_0_ref}: per block of 32 values
 * {@code d = max|x| / 127}, {@code q = roundf(x / d)} (half away from zero), {@code d} stored as F16.
 */
public final class Q8Quantizer {
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = 32;

    private Q8Quantizer() {
    }

    /** Writes {@code src} (any plain format, last dimension a multiple of 32) as Q8_0 blocks into {@code dst}. */
    public static void quantize(Tensor src, MemorySegment dst) {
        long n = src.elementCount();
        if (dst.byteSize() != WeightFormat.Q8_0.byteSize(src.shape())) {
            throw new IllegalArgumentException("Q8_0 of " + src + " needs " + WeightFormat.Q8_0.byteSize(src.shape())
                    + " bytes, got " + dst.byteSize());
        }
        float[] block = new float[BLOCK];
        for (long b = 0; b < n / BLOCK; b++) {
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) {
                block[i] = src.getFloat(b * BLOCK + i);
                amax = Math.max(amax, Math.abs(block[i]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            long at = b * WeightFormat.Q8_0.blockBytes();
            dst.set(I16_LE, at, Float.floatToFloat16(d));
            for (int i = 0; i < BLOCK; i++) {
                dst.set(ValueLayout.JAVA_BYTE, at + 2 + i, (byte) roundHalfAway(block[i] * id));
            }
        }
    }

    /** C's {@code roundf}: halves round away from zero (Java's Math.round rounds them up). */
    static int roundHalfAway(float x) {
        return (int) (x < 0 ? -Math.floor(-x + 0.5f) : Math.floor(x + 0.5f));
    }
}
