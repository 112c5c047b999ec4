package org.modernbert.backend.cpu;

import org.junit.jupiter.api.Test;
import org.modernbert.api.config.Activation;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.core.loading.WeightConversion;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API kernels against plain double-precision loops, on sizes that exercise every tail. */
class VectorKernelsTest {
    private static final int[] INS = {1, 3, 7, 16, 17, 33, 64, 71, 130};
    private static final int[] TOKENS = {1, 2, 3, 4, 5, 8, 9};
    private static final int[] OUTS = {1, 2, 3, 4, 5, 7, 13};

    @Test
    void matmulMatchesScalarReferenceForEveryDtypeAndShape() {
        for (WeightFormat dtype : new WeightFormat[] {WeightFormat.F32, WeightFormat.F16, WeightFormat.BF16}) {
            Random rnd = new Random(42 + dtype.ordinal());
            try (Arena arena = Arena.ofConfined()) {
                for (int in : INS) {
                    for (int out : OUTS) {
                        Tensor w = TestModels.tensor("w", dtype, rnd, 1.0, 0, arena, out, in);
                        MemorySegment seg = w.data();
                        int format = dtype == WeightFormat.BF16 ? VectorKernels.WeightCodes.BF16 : VectorKernels.WeightCodes.F32;
                        if (dtype == WeightFormat.F16) {
                            // the loader widens F16 for this backend; the kernels see F32
                            seg = WeightConversion.to(w, WeightFormat.F32, arena).data();
                        }
                        for (int tokens : TOKENS) {
                            checkMatmul(rnd, w, seg, format, tokens, in, out);
                        }
                    }
                }
            }
        }
    }

    private static void checkMatmul(Random rnd, Tensor w, MemorySegment seg, int format, int tokens, int in, int out) {
        // x rows with a stride larger than in, and an offset: the kernel must honour both
        int xStride = in + 3;
        int xOff = 5;
        float[] x = random(rnd, xOff + tokens * xStride);
        float[] bias = random(rnd, out);
        int yStride = out + 2;
        float[] y = random(rnd, 1 + tokens * yStride);
        float[] before = y.clone();
        boolean accumulate = rnd.nextBoolean();
        VectorKernels.matmul(x, xOff, xStride, tokens, in, seg, format, bias, y, 1, yStride, 0, out, accumulate);
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                double mag = Math.abs(bias[o]);
                for (int i = 0; i < in; i++) {
                    double p = (double) x[xOff + t * xStride + i] * w.getFloat((long) o * in + i);
                    s += p;
                    mag += Math.abs(p);
                }
                int idx = 1 + t * yStride + o;
                double expected = accumulate ? before[idx] + s : s;
                assertEquals(expected, y[idx], 1e-5 * (mag + Math.abs(before[idx])) + 1e-6,
                        w.format() + " in=" + in + " out=" + out + " tokens=" + tokens + " t=" + t + " o=" + o);
            }
            for (int o = out; o < yStride; o++) {
                int idx = 1 + t * yStride + o;
                if (idx < y.length) {
                    assertEquals(before[idx], y[idx], "a padding column was written");
                }
            }
        }
        assertEquals(before[0], y[0], "the element before the output was written");
    }

    @Test
    void matmulTouchesOnlyItsRowRange() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            int in = 19;
            int out = 11;
            Tensor w = TestModels.tensor("w", WeightFormat.F32, rnd, 1.0, 0, arena, out, in);
            float[] x = random(rnd, 6 * in);
            float[] full = new float[6 * out];
            VectorKernels.matmul(x, 0, in, 6, in, w.data(), VectorKernels.WeightCodes.F32, null, full, 0, out, 0, out, false);
            float[] parts = new float[6 * out];
            VectorKernels.matmul(x, 0, in, 6, in, w.data(), VectorKernels.WeightCodes.F32, null, parts, 0, out, 0, 5, false);
            for (int t = 0; t < 6; t++) {
                for (int o = 5; o < out; o++) {
                    assertEquals(0f, parts[t * out + o], "row " + o + " is outside [0, 5)");
                }
            }
            VectorKernels.matmul(x, 0, in, 6, in, w.data(), VectorKernels.WeightCodes.F32, null, parts, 0, out, 5, out, false);
            for (int i = 0; i < full.length; i++) {
                assertEquals(full[i], parts[i], 1e-5 * Math.abs(full[i]) + 1e-6);
            }
        }
    }

    @Test
    void bf16WideningIsExact() {
        try (Arena arena = Arena.ofConfined()) {
            float[] values = {1f, -2.5f, 0f, -0f, 3.0e-38f, 65504f, 1.0e30f, -7.75f, 0.1f, 0.333f, 1e-3f, -1e5f, 2f, 4f, 8f, 16f, 32f};
            int n = values.length;
            Tensor w = TestModels.tensor("w", WeightFormat.BF16, values, arena, 1, n);
            float[] ones = new float[n];
            for (int i = 0; i < n; i++) {
                float[] x = new float[n];
                x[i] = 1f;
                float[] y = new float[1];
                VectorKernels.matmul(x, 0, n, 1, n, w.data(), VectorKernels.WeightCodes.BF16, null, y, 0, 1, 0, 1, false);
                assertEquals(w.getFloat(i), y[0], 0f, "element " + i);
                ones[i] = 1f;
            }
        }
    }

    @Test
    void dotAndAxpyMatchScalarLoops() {
        Random rnd = new Random(3);
        for (int n : INS) {
            float[] a = random(rnd, n + 4);
            float[] b = random(rnd, n + 2);
            double expected = 0;
            for (int i = 0; i < n; i++) {
                expected += (double) a[4 + i] * b[2 + i];
            }
            assertEquals(expected, VectorKernels.dot(a, 4, b, 2, n), 1e-5 * n);
            float[] y = random(rnd, n + 1);
            float[] y0 = y.clone();
            VectorKernels.axpy(0.75f, a, 4, y, 1, n);
            assertEquals(y0[0], y[0]);
            for (int i = 0; i < n; i++) {
                assertEquals(y0[1 + i] + 0.75 * a[4 + i], y[1 + i], 1e-5);
            }
        }
    }

    @Test
    void layerNormIsStableForLargeOffsets() {
        // E[x^2] - E[x]^2 would lose every digit here: values 1e4 apart from their mean by ~1
        int n = 37;
        float[] x = new float[n];
        float[] w = new float[n];
        float[] b = new float[n];
        Random rnd = new Random(5);
        for (int i = 0; i < n; i++) {
            x[i] = 10000f + (float) rnd.nextGaussian();
            w[i] = 1f + 0.1f * i;
            b[i] = 0.01f * i;
        }
        float[] out = new float[n];
        VectorKernels.layerNorm(x, 0, n, w, b, 1e-5, out, 0);
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= n;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= n;
        for (int i = 0; i < n; i++) {
            double expected = (x[i] - mean) / Math.sqrt(var + 1e-5) * w[i] + b[i];
            assertEquals(expected, out[i], 1e-5 * (1 + Math.abs(expected)));
        }
    }

    @Test
    void gatedActivationUsesExactGelu() {
        float[] u = {-3f, -1f, 0.5f, 2f, 1f, 2f, 3f, -4f};
        float[] out = new float[4];
        VectorKernels.gatedActivation(Activation.GELU, u, 0, 4, out, 0);
        for (int j = 0; j < 4; j++) {
            double x = u[j];
            double gelu = 0.5 * x * (1 + Activation.erf(x / Math.sqrt(2)));
            assertEquals(gelu * u[4 + j], out[j], 1e-6);
        }
        // erf GELU and tanh GELU differ by ~1e-4 at x = -1: make sure the exact one was used
        assertTrue(Math.abs(out[1] - Activation.GELU_TANH.apply(-1.0) * 2f) > 1e-5);
    }

    @Test
    void laneSumAddsPairwiseHalvesInAFixedOrder() {
        Random rnd = new Random(4);
        for (int trial = 0; trial < 200; trial++) {
            float[] lanes = new float[VectorKernels.LANES];
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
            }
            float[] r = lanes.clone();
            for (int half = r.length / 2; half > 0; half /= 2) {
                for (int i = 0; i < half; i++) {
                    r[i] += r[i + half];
                }
            }
            assertEquals(r[0], VectorKernels.sum(jdk.incubator.vector.FloatVector.fromArray(VectorKernels.F, lanes, 0)));
        }
    }

    @Test
    void packedLaneSumsAreBitIdenticalToFourSeparateSums() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            jdk.incubator.vector.FloatVector[] v = new jdk.incubator.vector.FloatVector[4];
            for (int k = 0; k < 4; k++) {
                float[] lanes = new float[VectorKernels.LANES];
                for (int i = 0; i < lanes.length; i++) {
                    // wide magnitudes, so any change in the order of additions shows in the rounding
                    lanes[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
                }
                v[k] = jdk.incubator.vector.FloatVector.fromArray(VectorKernels.F, lanes, 0);
            }
            jdk.incubator.vector.FloatVector packed = VectorKernels.sum4(v[0], v[1], v[2], v[3]);
            for (int k = 0; k < 4; k++) {
                assertEquals(Float.floatToRawIntBits(VectorKernels.sum(v[k])),
                        Float.floatToRawIntBits(packed.lane(k * VectorKernels.QUARTER)), "argument " + k + ", trial " + trial);
            }
        }
    }

    @Test
    void fastErfMatchesReferenceErfOnADenseGridIncludingTails() {
        double worst = 0;
        // step 1e-4 over [-8, 8]: both fit boundaries (|x| = 2 and 6) and the tails are covered
        for (int i = -80_000; i <= 80_000; i++) {
            double x = i * 1e-4;
            worst = Math.max(worst, Math.abs(VectorKernels.erf(x) - Activation.erf(x)));
        }
        for (double x : new double[] {1e-300, -1e-300, 1e-8, 1.9999999999, 2.0, 5.9999999999, 6.0, 30, -30, 1e10}) {
            worst = Math.max(worst, Math.abs(VectorKernels.erf(x) - Activation.erf(x)));
        }
        assertTrue(worst <= 1e-7, "max |erf error| " + worst);
        assertTrue(worst <= 1e-11, "the fits are good to ~3e-13, got " + worst);
        assertEquals(0.0, VectorKernels.erf(0.0));
        assertEquals(1.0, VectorKernels.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, VectorKernels.erf(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(VectorKernels.erf(Double.NaN)));
    }

    @Test
    void fastGeluIsTheExactErfGelu() {
        Random rnd = new Random(9);
        float[] x = new float[4000];
        for (int i = 0; i < x.length; i++) {
            x[i] = i < 2000 ? (float) (3 * rnd.nextGaussian()) : (rnd.nextFloat() - 0.5f) * 80f;
        }
        float[] y = x.clone();
        VectorKernels.activate(Activation.GELU, y, 0, y.length);
        for (int i = 0; i < x.length; i++) {
            double reference = Activation.GELU.apply(x[i]);
            assertEquals(reference, VectorKernels.gelu(x[i]), 1e-10 * (1 + Math.abs(x[i])), "x = " + x[i]);
            assertEquals((float) reference, y[i], Math.ulp((float) reference), "x = " + x[i]);
        }
    }

    @Test
    void otherActivationsStillUseTheirReferenceDefinition() {
        for (Activation act : Activation.values()) {
            float[] x = {-3.5f, -1f, -0.25f, 0f, 0.5f, 2f, 7f};
            float[] expected = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = (float) act.apply(x[i]);
            }
            VectorKernels.activate(act, x, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                assertEquals(expected[i], x[i], Math.ulp(expected[i]) + 1e-12, act + " at index " + i);
            }
        }
    }

    // ---------------------------------------------------------------- Q8_0

    private static final int Q8 = VectorKernels.WeightCodes.Q8_0;

    /** A random Q8_0 matrix {@code [out, in]}, and its exact dequantized values in {@code deq}. */
    private static MemorySegment randomQ8(Random rnd, Arena arena, int out, int in, double[] deq) {
        int blocks = out * in / 32;
        MemorySegment seg = arena.allocate((long) blocks * 34);
        for (int b = 0; b < blocks; b++) {
            // scales over a few decades, as in real weights; q over the full int8 range, -128 included
            short d = Float.floatToFloat16((float) (Math.abs(rnd.nextGaussian()) * Math.pow(10, -1 - rnd.nextInt(3))));
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), b * 34L, d);
            for (int i = 0; i < 32; i++) {
                byte q = (byte) (rnd.nextInt(256) - 128);
                seg.set(ValueLayout.JAVA_BYTE, b * 34L + 2 + i, q);
                deq[b * 32 + i] = (double) Float.float16ToFloat(d) * q;
            }
        }
        return seg;
    }

    @Test
    void q8MatmulMatchesScalarReference() {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int in : new int[] {32, 64, 96, 768}) {
                for (int out = 1; out <= 13; out++) {
                    double[] deq = new double[out * in];
                    MemorySegment w = randomQ8(rnd, arena, out, in, deq);
                    for (int tokens = 1; tokens <= 9; tokens++) {
                        for (int variant = 0; variant < 4; variant++) {
                            checkQ8(rnd, w, deq, tokens, in, out, variant % 2 == 1, variant >= 2);
                        }
                    }
                }
            }
        }
    }

    private static void checkQ8(Random rnd, MemorySegment w, double[] deq, int tokens, int in, int out,
                                boolean withBias, boolean accumulate) {
        int xStride = in + 5;
        int xOff = 3;
        float[] x = random(rnd, xOff + tokens * xStride);
        float[] bias = withBias ? random(rnd, out) : null;
        int yStride = out + 2;
        float[] y = random(rnd, 1 + tokens * yStride);
        float[] before = y.clone();
        VectorKernels.matmul(x, xOff, xStride, tokens, in, w, Q8, bias, y, 1, yStride, 0, out, accumulate);
        String where = " in=" + in + " out=" + out + " tokens=" + tokens + " bias=" + withBias + " accumulate=" + accumulate;
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double s = withBias ? bias[o] : 0;
                double mag = Math.abs(s);
                for (int i = 0; i < in; i++) {
                    double p = x[xOff + t * xStride + i] * deq[o * in + i];
                    s += p;
                    mag += Math.abs(p);
                }
                int idx = 1 + t * yStride + o;
                double expected = accumulate ? before[idx] + s : s;
                // float32 accumulation: a few ulps of the sum of magnitudes
                double tolerance = 2e-6 * (mag + Math.abs(before[idx])) + 1e-30;
                assertEquals(expected, y[idx], tolerance, where + " t=" + t + " o=" + o);
            }
            for (int o = out; o < yStride; o++) {
                int idx = 1 + t * yStride + o;
                if (idx < y.length) {
                    assertEquals(before[idx], y[idx], "a padding column was written" + where);
                }
            }
        }
        assertEquals(before[0], y[0], "the element before the output was written" + where);
    }

    @Test
    void q8ResultsDoNotDependOnRowSplitsOrBatchSize() {
        Random rnd = new Random(12);
        try (Arena arena = Arena.ofConfined()) {
            int in = 96;
            int out = 13;
            MemorySegment w = randomQ8(rnd, arena, out, in, new double[out * in]);
            float[] bias = random(rnd, out);
            for (int tokens = 1; tokens <= 9; tokens++) {
                float[] x = random(rnd, tokens * in);
                float[] full = new float[tokens * out];
                VectorKernels.matmul(x, 0, in, tokens, in, w, Q8, bias, full, 0, out, 0, out, false);
                // the executor's splits (multiples of 4), and odd ones: every split gives the same bits
                for (int[] cuts : new int[][] {{0, 4, 8, 13}, {0, 8, 12, 13}, {0, 1, 6, 7, 13}, {0, 3, 5, 10, 13}}) {
                    float[] parts = new float[tokens * out];
                    for (int k = 0; k + 1 < cuts.length; k++) {
                        VectorKernels.matmul(x, 0, in, tokens, in, w, Q8, bias, parts, 0, out, cuts[k], cuts[k + 1], false);
                    }
                    assertArrayEquals(full, parts, "tokens=" + tokens + " cuts=" + java.util.Arrays.toString(cuts));
                }
                // and each token alone gives the bits it got in the batch
                for (int t = 0; t < tokens; t++) {
                    float[] alone = new float[out];
                    VectorKernels.matmul(x, t * in, in, 1, in, w, Q8, bias, alone, 0, out, 0, out, false);
                    assertArrayEquals(java.util.Arrays.copyOfRange(full, t * out, (t + 1) * out), alone, "token " + t + " of " + tokens);
                }
            }
        }
    }

    @Test
    void q8SumsAreTheF32SumsOfTheDequantizedMatrix() {
        // the scale is multiplied into the widened weights exactly, so where the F32 tiles also use one
        // accumulator per output (4x2 and 1x4) the results agree bit for bit
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofConfined()) {
            int in = 768;
            int out = 8;
            double[] deq = new double[out * in];
            MemorySegment w = randomQ8(rnd, arena, out, in, deq);
            MemorySegment f32 = arena.allocate(4L * out * in);
            for (int i = 0; i < deq.length; i++) {
                f32.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) deq[i]);
                assertEquals(deq[i], (float) deq[i], 0.0, "dequantized value " + i + " is not exact in float");
            }
            for (int tokens : new int[] {1, 4, 8}) {
                float[] x = random(rnd, tokens * in);
                float[] q8 = new float[tokens * out];
                float[] ref = new float[tokens * out];
                VectorKernels.matmul(x, 0, in, tokens, in, w, Q8, null, q8, 0, out, 0, out, false);
                VectorKernels.matmul(x, 0, in, tokens, in, f32, VectorKernels.WeightCodes.F32, null, ref, 0, out, 0, out, false);
                assertArrayEquals(ref, q8, "tokens=" + tokens);
            }
        }
    }

    @Test
    void q8RejectsRowsThatAreNotWholeBlocksAndUnknownFormatsAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(34 * 4);
            float[] x = new float[48];
            float[] y = new float[2];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VectorKernels.matmul(x, 0, 48, 1, 48, w, Q8, null, y, 0, 2, 0, 2, false));
            assertTrue(e.getMessage().contains("48"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> VectorKernels.matmul(x, 0, 32, 1, 32, w, 7, null, y, 0, 2, 0, 2, false));
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
