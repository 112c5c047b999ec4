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
            assertEquals(r[0], org.modernbert.backend.cpu.kernel.Lanes.sum(jdk.incubator.vector.FloatVector.fromArray(VectorKernels.F, lanes, 0)));
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

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
