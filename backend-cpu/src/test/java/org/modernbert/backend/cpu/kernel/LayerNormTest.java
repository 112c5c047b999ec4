package org.modernbert.backend.cpu.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector LayerNorm against the double-precision scalar one it replaces, on widths with every tail. */
class LayerNormTest {
    private static final int[] WIDTHS = {1, 2, 3, 15, 16, 17, 31, 33, 64, 65, 100, 768, 1000};

    /** The scalar LayerNorm of VectorKernels (two passes in double), copied as the reference. */
    static void reference(float[] x, int xOff, int n, float[] weight, float[] bias, double eps, float[] out, int outOff) {
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

    /** Max |vector - reference| over rows of {@code mean + scale * N(0, 1)} values. */
    private static double worst(Random rnd, double mean, double scale, boolean withBias) {
        double worst = 0;
        for (int n : WIDTHS) {
            int rows = 5;
            int xOff = 3;
            float[] x = new float[xOff + rows * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (mean + scale * rnd.nextGaussian());
            }
            float[] w = new float[n];
            float[] b = withBias ? new float[n] : null;
            for (int i = 0; i < n; i++) {
                w[i] = (float) (1 + 0.2 * rnd.nextGaussian());
                if (b != null) {
                    b[i] = (float) (0.1 * rnd.nextGaussian());
                }
            }
            float[] out = new float[1 + rows * n];
            LayerNorm.apply(x, xOff, out, 1, n, w, b, 1e-5, 0, rows);
            float[] expected = new float[1 + rows * n];
            for (int r = 0; r < rows; r++) {
                reference(x, xOff + r * n, n, w, b, 1e-5, expected, 1 + r * n);
            }
            assertEquals(0f, out[0], "the element before the output was written");
            for (int i = 1; i < out.length; i++) {
                worst = Math.max(worst, Math.abs(out[i] - expected[i]));
            }
        }
        return worst;
    }

    @Test
    void matchesDoubleReferenceOnUnitScaleData() {
        Random rnd = new Random(1);
        double withBias = worst(rnd, 0.0, 1.0, true);
        double noBias = worst(rnd, 0.3, 2.0, false);
        assertTrue(withBias <= 1e-6, "max abs diff with bias " + withBias);
        assertTrue(noBias <= 1e-6, "max abs diff without bias " + noBias);
    }

    @Test
    void matchesDoubleReferenceWithALargeMeanOffset() {
        // values 100 +- 1: a float mean is off by ~1e-5 here and E[x^2] - E[x]^2 by far more
        Random rnd = new Random(2);
        double hundred = worst(rnd, 100.0, 1.0, true);
        assertTrue(hundred <= 1e-6, "max abs diff at 100 +- 1: " + hundred);
        // and 1e4 +- 1 (as VectorKernelsTest); measured 9.5e-7, one ulp of the largest outputs (8 to 16)
        double tenThousand = worst(rnd, 1e4, 1.0, true);
        assertTrue(tenThousand <= 2e-6, "max abs diff at 1e4 +- 1: " + tenThousand);
    }

    @Test
    void inPlaceEqualsOutOfPlace() {
        Random rnd = new Random(3);
        for (int n : WIDTHS) {
            float[] x = new float[4 * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (5 + rnd.nextGaussian());
            }
            float[] w = new float[n];
            float[] b = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = (float) rnd.nextGaussian();
                b[i] = (float) rnd.nextGaussian();
            }
            float[] out = new float[x.length];
            LayerNorm.apply(x, 0, out, 0, n, w, b, 1e-6, 0, 4);
            LayerNorm.apply(x, 0, x, 0, n, w, b, 1e-6, 0, 4);
            assertArrayEquals(out, x, "n=" + n);
        }
    }

    @Test
    void touchesOnlyItsRowsAndSplitsGiveTheSameBits() {
        Random rnd = new Random(4);
        int n = 33;
        int rows = 7;
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] w = new float[n];
        java.util.Arrays.fill(w, 1.5f);
        float[] whole = new float[x.length];
        LayerNorm.apply(x, 0, whole, 0, n, w, null, 1e-5, 0, rows);
        float[] parts = new float[x.length];
        LayerNorm.apply(x, 0, parts, 0, n, w, null, 1e-5, 2, 5);
        for (int i = 0; i < x.length; i++) {
            if (i < 2 * n || i >= 5 * n) {
                assertEquals(0f, parts[i], "element " + i + " is outside rows [2, 5)");
            }
        }
        LayerNorm.apply(x, 0, parts, 0, n, w, null, 1e-5, 0, 2);
        LayerNorm.apply(x, 0, parts, 0, n, w, null, 1e-5, 5, rows);
        assertArrayEquals(whole, parts);
    }

    @Test
    void constantRowGivesTheBias() {
        int n = 20;
        float[] x = new float[n];
        java.util.Arrays.fill(x, 3.25f);
        float[] w = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = i;
            b[i] = -i;
        }
        float[] out = new float[n];
        LayerNorm.row(x, 0, out, 0, n, w, b, 1e-5);
        for (int i = 0; i < n; i++) {
            assertEquals(-i, out[i], 0f);
        }
    }
}
