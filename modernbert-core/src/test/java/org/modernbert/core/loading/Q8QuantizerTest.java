package org.modernbert.core.loading;

import org.junit.jupiter.api.Test;
import org.modernbert.api.tensor.WeightFormat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Q8QuantizerTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MemorySegment source(Arena arena, WeightFormat type, float[] values) {
        MemorySegment seg = arena.allocate((long) values.length * type.blockBytes());
        for (int i = 0; i < values.length; i++) {
            switch (type) {
                case F32 -> seg.set(F32_LE, i * 4L, values[i]);
                case F16 -> seg.set(I16_LE, i * 2L, Float.floatToFloat16(values[i]));
                // truncation is fine here: the tests compare against the value actually stored
                case BF16 -> seg.set(I16_LE, i * 2L, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
            }
        }
        return seg;
    }

    /** The value a source element really holds after its encoding. */
    private static float stored(WeightFormat type, float v) {
        return switch (type) {
            case F32 -> v;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BF16 -> Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xFFFF0000);
            case Q8_0 -> throw new IllegalArgumentException("not a source format");
        };
    }

    private static MemorySegment quantize(Arena arena, WeightFormat type, float[] values, int rows, int cols) {
        MemorySegment dst = arena.allocate(Q8Quantizer.byteSize(rows, cols));
        Q8Quantizer.quantize(source(arena, type, values), type, rows, cols, dst);
        return dst;
    }

    private static float scale(MemorySegment q8, int block) {
        return Float.float16ToFloat(q8.get(I16_LE, block * 34L));
    }

    private static byte q(MemorySegment q8, int block, int i) {
        return q8.get(ValueLayout.JAVA_BYTE, block * 34L + 2 + i);
    }

    /**
     * GGML's quantize_row_q8_0_ref written independently: BigDecimal HALF_UP rounds halfway cases
     * away from zero, as C's roundf does.
     */
    private static byte[] reference(float[] x, int block) {
        float amax = 0f;
        for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(x[block * 32 + i]));
        }
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        byte[] out = new byte[34];
        short d16 = Float.floatToFloat16(d);
        out[0] = (byte) d16;
        out[1] = (byte) (d16 >> 8);
        for (int i = 0; i < 32; i++) {
            float v = x[block * 32 + i] * id;
            out[2 + i] = new BigDecimal(v).setScale(0, RoundingMode.HALF_UP).byteValueExact();
        }
        return out;
    }

    @Test
    void sizes() {
        assertEquals(34, Q8Quantizer.byteSize(1, 32));
        assertEquals(50_000L * 24 * 34, Q8Quantizer.byteSize(50_000, 768));
        assertEquals(0, Q8Quantizer.byteSize(0, 64));
        assertThrows(IllegalArgumentException.class, () -> Q8Quantizer.byteSize(2, 48));
        assertThrows(IllegalArgumentException.class, () -> Q8Quantizer.byteSize(-1, 32));
    }

    @Test
    void allZeroBlockHasZeroScaleAndZeroValues() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q8 = quantize(arena, WeightFormat.F32, new float[64], 1, 64);
            for (int b = 0; b < 2; b++) {
                assertEquals(0, q8.get(I16_LE, b * 34L));
                for (int i = 0; i < 32; i++) {
                    assertEquals(0, q(q8, b, i));
                }
            }
            assertEquals(0f, Q8Quantizer.dequantize(q8, 40));
        }
    }

    @Test
    void theLargestMagnitudeBecomesPlusOrMinus127() {
        try (Arena arena = Arena.ofConfined()) {
            float[] x = new float[32];
            for (int i = 0; i < 32; i++) {
                x[i] = (i - 10) * 0.01f;
            }
            x[7] = -0.9f;
            MemorySegment q8 = quantize(arena, WeightFormat.F32, x, 1, 32);
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.9f / 127f)), scale(q8, 0));
            assertEquals(-127, q(q8, 0, 7));
            x[7] = 0.9f;
            q8 = quantize(arena, WeightFormat.F32, x, 1, 32);
            assertEquals(127, q(q8, 0, 7));
            // the other values: x / d rounded, d being the unrounded float scale
            assertArrayEquals(reference(x, 0), q8.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void halfwayCasesRoundAwayFromZero() {
        try (Arena arena = Arena.ofConfined()) {
            // amax 127 makes d = 1 and id = 1, so q = round(x) directly
            float[] x = new float[32];
            x[0] = 127f;
            x[1] = 2.5f;
            x[2] = -2.5f;
            x[3] = 0.5f;
            x[4] = -0.5f;   // Math.round gives 0, roundf -1
            x[5] = 1.5f;
            x[6] = -1.5f;
            x[7] = 0.49999997f; // largest float below 0.5: adding 0.5f in float would round up to 1
            x[8] = -0.49999997f;
            x[9] = 126.5f;
            x[10] = -126.5f;
            x[11] = 2.4999998f;
            x[12] = -3.5f;
            MemorySegment q8 = quantize(arena, WeightFormat.F32, x, 1, 32);
            assertEquals(1f, scale(q8, 0));
            byte[] expected = {127, 3, -3, 1, -1, 2, -2, 0, 0, 127, -127, 2, -4};
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], q(q8, 0, i), "x = " + x[i]);
            }
            assertEquals(-3, Q8Quantizer.roundHalfAwayFromZero(-2.5f));
            assertEquals(3, Q8Quantizer.roundHalfAwayFromZero(2.5f));
            assertEquals(0, Q8Quantizer.roundHalfAwayFromZero(-0.49999997f));
        }
    }

    @Test
    void randomMatricesMatchTheReferenceBitForBitAndRoundTripWithinHalfAStep() {
        Random rnd = new Random(1);
        for (WeightFormat type : new WeightFormat[] {WeightFormat.F32, WeightFormat.F16, WeightFormat.BF16}) {
            try (Arena arena = Arena.ofConfined()) {
                int rows = 7;
                int cols = 96;
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    // magnitudes over several decades, per block, like real weights (and still in F16 range)
                    double blockScale = Math.pow(10, -3 + (i / 32) % 5);
                    x[i] = stored(type, (float) (rnd.nextGaussian() * blockScale));
                }
                MemorySegment q8 = quantize(arena, type, x, rows, cols);
                for (int b = 0; b < rows * cols / 32; b++) {
                    byte[] actual = q8.asSlice(b * 34L, 34).toArray(ValueLayout.JAVA_BYTE);
                    assertArrayEquals(reference(x, b), actual, type + " block " + b);
                    float amax = 0f;
                    for (int i = 0; i < 32; i++) {
                        amax = Math.max(amax, Math.abs(x[b * 32 + i]));
                    }
                    float d = amax / 127f;
                    float d16 = scale(q8, b);
                    // half a step, plus what rounding the scale to F16 moves the largest value
                    double bound = d / 2 * (1 + 1e-6) + 127 * Math.abs(d - d16);
                    for (int i = 0; i < 32; i++) {
                        int idx = b * 32 + i;
                        double err = Math.abs(x[idx] - (double) Q8Quantizer.dequantize(q8, idx));
                        assertTrue(err <= bound, type + " element " + idx + ": error " + err + " > " + bound);
                    }
                }
            }
        }
    }

    @Test
    void f16AndBf16SourcesGiveTheBlocksOfTheirF32Values() {
        Random rnd = new Random(2);
        try (Arena arena = Arena.ofConfined()) {
            for (WeightFormat type : new WeightFormat[] {WeightFormat.F16, WeightFormat.BF16}) {
                float[] x = new float[4 * 64];
                for (int i = 0; i < x.length; i++) {
                    x[i] = stored(type, (float) rnd.nextGaussian());
                }
                MemorySegment fromNarrow = quantize(arena, type, x, 4, 64);
                MemorySegment fromF32 = quantize(arena, WeightFormat.F32, x, 4, 64);
                assertEquals(-1L, fromNarrow.mismatch(fromF32), type.toString());
            }
        }
    }

    @Test
    void rejectsBadShapesSizesAndValues() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = source(arena, WeightFormat.F32, new float[64]);
            // destination one byte short
            assertThrows(IllegalArgumentException.class,
                    () -> Q8Quantizer.quantize(src, WeightFormat.F32, 1, 64, arena.allocate(67)));
            // source larger than the shape says (F32 [1, 32]; as F16 [1, 64])
            assertThrows(IllegalArgumentException.class,
                    () -> Q8Quantizer.quantize(src, WeightFormat.F32, 1, 32, arena.allocate(34)));
            assertThrows(IllegalArgumentException.class,
                    () -> Q8Quantizer.quantize(src, WeightFormat.F16, 1, 64, arena.allocate(68)));
            // rows not made of whole blocks
            assertThrows(IllegalArgumentException.class,
                    () -> Q8Quantizer.quantize(src, WeightFormat.F32, 4, 16, arena.allocate(68)));
            float[] bad = new float[32];
            bad[5] = Float.NaN;
            assertThrows(IllegalArgumentException.class,
                    () -> Q8Quantizer.quantize(source(arena, WeightFormat.F32, bad), WeightFormat.F32, 1, 32, arena.allocate(34)));
            bad[5] = 1e9f; // scale 7.9e6 is beyond F16
            assertThrows(IllegalArgumentException.class,
                    () -> Q8Quantizer.quantize(source(arena, WeightFormat.F32, bad), WeightFormat.F32, 1, 32, arena.allocate(34)));
        }
    }

    @Test
    void quantizesAVocabularySizedMatrixQuickly() {
        // 50k x 768, the size of a token embedding: a plain loop, but no per-element allocation
        int rows = 50_000;
        int cols = 768;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate((long) rows * cols * 2);
            Random rnd = new Random(3);
            for (long i = 0; i < (long) rows * cols; i++) {
                src.set(I16_LE, i * 2, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian() * 0.02f) >>> 16));
            }
            MemorySegment dst = arena.allocate(Q8Quantizer.byteSize(rows, cols));
            long start = System.nanoTime();
            Q8Quantizer.quantize(src, WeightFormat.BF16, rows, cols, dst);
            double seconds = (System.nanoTime() - start) / 1e9;
            // generous: ~0.2 s here; only catches accidental per-element allocation or quadratic work
            assertTrue(seconds < 10, "took " + seconds + " s");
            long last = (long) rows * cols - 1;
            float expected = Float.intBitsToFloat((src.get(I16_LE, last * 2) & 0xFFFF) << 16);
            assertEquals(expected, Q8Quantizer.dequantize(dst, last), scale(dst, rows * cols / 32 - 1));
        }
    }
}
