package org.modernbert.backend.cpu.kernel;

import org.modernbert.api.config.Activation;
import org.junit.jupiter.api.Test;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.loading.WeightConversion;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The packed GEMM against a double-precision loop over the same (dequantised) weights, on every tile and tail. */
class GemmTest {
    private static final int[] TOKENS = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17};
    private static final int[] OUTS = {1, 5, 16, 17, 31, 32, 33, 70};

    @Test
    void matchesScalarReferenceForEveryFormatShapeAndTile() {
        for (WeightFormat format : new WeightFormat[] {WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8_0}) {
            int[] ins = format == WeightFormat.Q8_0 ? new int[] {32, 64, 96} : new int[] {1, 3, 16, 17, 64, 71};
            Random rnd = new Random(11 + format.ordinal());
            try (Arena arena = Arena.ofConfined()) {
                for (int in : ins) {
                    for (int out : OUTS) {
                        Tensor w = weights(rnd, format, out, in, arena);
                        float[] bias = rnd.nextBoolean() ? random(rnd, out) : null;
                        PackedMatrix packed = PackedMatrix.pack(w.data(), packedFormat(format), out, in, bias);
                        for (int tokens : TOKENS) {
                            check(rnd, w, packed, bias, tokens, in, out, rnd.nextBoolean() ? Gemm.Mode.ACCUMULATE : Gemm.Mode.STORE);
                        }
                    }
                }
            }
        }
    }

    @Test
    void gatedMatrixWritesGateOfBothHalves() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (WeightFormat format : new WeightFormat[] {WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8_0})
            for (Activation act : new Activation[] {Activation.GELU, Activation.RELU})
            for (int half : new int[] {1, 16, 20, 48}) {
                int in = 64;
                Tensor w = weights(rnd, format, 2 * half, in, arena);
                float[] bias = random(rnd, 2 * half);
                PackedMatrix packed = PackedMatrix.packGated(w.data(), packedFormat(format), half, in, bias);
                assertEquals(half, packed.outputs());
                for (int tokens : new int[] {1, 2, 4, 9}) {
                    float[] x = random(rnd, tokens * in);
                    float[] y = new float[tokens * half + 1];
                    // pair by pair, as threads split them
                    for (int p = 0; p < packed.pairs(); p++) {
                        Gemm.multiply(packed, x, 0, in, tokens, y, 0, half, p, p + 1, Gemm.Mode.STORE, act, new float[Gemm.SCRATCH_FLOATS]);
                    }
                    for (int t = 0; t < tokens; t++) {
                        for (int j = 0; j < half; j++) {
                            double a = bias[j] + dot(x, t * in, w, j, in);
                            double b = bias[half + j] + dot(x, t * in, w, half + j, in);
                            double expected = act.apply(a) * b;
                            assertEquals(expected, y[t * half + j], 1e-4 * (1 + Math.abs(expected)),
                                    format + " " + act + " half=" + half + " tokens=" + tokens + " t=" + t + " j=" + j);
                        }
                    }
                    assertEquals(0f, y[tokens * half], "wrote past the outputs");
                }
            }
        }
    }

    @Test
    void longRowsSplitTheTokensIntoCacheBlocksAndStillCoverEveryToken() {
        // rows of 8192 inputs: token blocks of 8 (256 KiB of activations), so 21 tokens are blocks of 8, 8 and 5
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofConfined()) {
            for (WeightFormat format : new WeightFormat[] {WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8_0}) {
                int in = 8192;
                int out = 33;
                Tensor w = weights(rnd, format, out, in, arena);
                PackedMatrix packed = PackedMatrix.pack(w.data(), packedFormat(format), out, in, null);
                check(rnd, w, packed, null, 21, in, out, Gemm.Mode.STORE);
            }
        }
        assertEquals(8, Gemm.tokenBlock(8192));
        assertEquals(80, Gemm.tokenBlock(768));
        assertEquals(8, Gemm.tokenBlock(1 << 20));
    }

    @Test
    void resultsDoNotDependOnHowPairsAreSplit() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (WeightFormat format : new WeightFormat[] {WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8_0}) {
                int in = 96;
                int out = 300;
                Tensor w = weights(rnd, format, out, in, arena);
                PackedMatrix packed = PackedMatrix.pack(w.data(), packedFormat(format), out, in, null);
                for (int tokens : new int[] {1, 2, 3, 9}) {
                    float[] x = random(rnd, tokens * in);
                    float[] whole = new float[tokens * out];
                    Gemm.multiply(packed, x, 0, in, tokens, whole, 0, out, 0, packed.pairs(), Gemm.Mode.STORE, null,
                            new float[Gemm.SCRATCH_FLOATS]);
                    // uneven pieces, not multiples of the four pairs a single token streams at once
                    float[] parts = new float[tokens * out];
                    int[] cuts = {0, 1, 4, 7, packed.pairs()};
                    for (int c = 0; c + 1 < cuts.length; c++) {
                        Gemm.multiply(packed, x, 0, in, tokens, parts, 0, out, cuts[c], cuts[c + 1], Gemm.Mode.STORE, null,
                                new float[Gemm.SCRATCH_FLOATS]);
                    }
                    assertEquals(java.util.Arrays.toString(whole), java.util.Arrays.toString(parts), format + " tokens=" + tokens);
                }
            }
        }
    }

    @Test
    void aTokenGivesTheSameBitsAloneAsInABatch() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofConfined()) {
            for (WeightFormat format : new WeightFormat[] {WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8_0}) {
                int in = 64;
                int out = 80;
                PackedMatrix packed = PackedMatrix.pack(weights(rnd, format, out, in, arena).data(), packedFormat(format), out, in, null);
                float[] x = random(rnd, 13 * in);
                float[] batch = new float[13 * out];
                Gemm.multiply(packed, x, 0, in, 13, batch, 0, out, 0, packed.pairs(), Gemm.Mode.STORE, null, new float[Gemm.SCRATCH_FLOATS]);
                for (int t = 0; t < 13; t++) {
                    float[] alone = new float[out];
                    Gemm.multiply(packed, x, t * in, in, 1, alone, 0, out, 0, packed.pairs(), Gemm.Mode.STORE, null, new float[Gemm.SCRATCH_FLOATS]);
                    for (int o = 0; o < out; o++) {
                        assertEquals(batch[t * out + o], alone[o], 0f, format + " token " + t + " output " + o);
                    }
                }
            }
        }
    }

    @Test
    void q8ScalesAreDecodedExactlyIncludingSubnormals() {
        // one row, one block: scale bits chosen to cover a subnormal, a normal and a negative F16
        for (short bits : new short[] {(short) 0x0001, (short) 0x03FF, (short) 0x3C00, (short) 0xB555, (short) 0x7BFF}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocate(34);
                src.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, bits);
                for (int c = 0; c < 32; c++) {
                    src.set(ValueLayout.JAVA_BYTE, 2 + c, (byte) (c - 16));
                }
                PackedMatrix packed = PackedMatrix.pack(src, PackedMatrix.Format.Q8_0, 1, 32, null);
                for (int c = 0; c < 32; c++) {
                    float[] x = new float[32];
                    x[c] = 1f;
                    float[] y = new float[1];
                    Gemm.multiply(packed, x, 0, 32, 1, y, 0, 1, 0, 1, Gemm.Mode.STORE, null, new float[Gemm.SCRATCH_FLOATS]);
                    assertEquals(Float.float16ToFloat(bits) * (c - 16), y[0], 0f, "scale bits " + Integer.toHexString(bits & 0xFFFF));
                }
            }
        }
    }

    @Test
    void refusesQ8RowsThatAreNotWholeBlocks() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class,
                    () -> PackedMatrix.pack(arena.allocate(64), PackedMatrix.Format.Q8_0, 1, 40, null));
        }
    }

    private static void check(Random rnd, Tensor w, PackedMatrix packed, float[] bias, int tokens, int in, int out, Gemm.Mode mode) {
        int xStride = in + 3;
        int xOff = 5;
        float[] x = random(rnd, xOff + tokens * xStride);
        int yStride = out + 2;
        float[] y = random(rnd, 1 + tokens * yStride);
        float[] before = y.clone();
        Gemm.multiply(packed, x, xOff, xStride, tokens, y, 1, yStride, 0, packed.pairs(), mode, null, new float[Gemm.SCRATCH_FLOATS]);
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double s = (bias == null ? 0 : bias[o]) + dot(x, xOff + t * xStride, w, o, in);
                double mag = 1;
                for (int i = 0; i < in; i++) {
                    mag += Math.abs((double) x[xOff + t * xStride + i] * w.getFloat((long) o * in + i));
                }
                int idx = 1 + t * yStride + o;
                double expected = mode == Gemm.Mode.ACCUMULATE ? before[idx] + s : s;
                assertEquals(expected, y[idx], 1e-5 * (mag + Math.abs(before[idx])),
                        w.format() + " in=" + in + " out=" + out + " tokens=" + tokens + " t=" + t + " o=" + o);
            }
            for (int o = out; o < yStride && 1 + t * yStride + o < y.length; o++) {
                assertEquals(before[1 + t * yStride + o], y[1 + t * yStride + o], "a padding column was written");
            }
        }
        assertEquals(before[0], y[0], "the element before the output was written");
    }

    private static double dot(float[] x, int xOff, Tensor w, int row, int in) {
        double s = 0;
        for (int i = 0; i < in; i++) {
            s += (double) x[xOff + i] * w.getFloat((long) row * in + i);
        }
        return s;
    }

    static Tensor weights(Random rnd, WeightFormat format, int rows, int in, Arena arena) {
        float[] values = random(rnd, rows * in);
        MemorySegment seg = arena.allocate((long) values.length * 4);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length);
        Tensor f32 = new Tensor("w", WeightFormat.F32, new long[] {rows, in}, seg);
        return format == WeightFormat.F32 ? f32 : WeightConversion.to(f32, format, arena);
    }

    static PackedMatrix.Format packedFormat(WeightFormat format) {
        return switch (format) {
            case F32 -> PackedMatrix.Format.F32;
            case BF16 -> PackedMatrix.Format.BF16;
            case Q8_0 -> PackedMatrix.Format.Q8_0;
            default -> throw new IllegalArgumentException(format.toString());
        };
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
