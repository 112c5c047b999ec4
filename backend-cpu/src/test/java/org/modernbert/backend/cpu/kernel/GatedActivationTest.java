package org.modernbert.backend.cpu.kernel;

import org.junit.jupiter.api.Test;
import org.modernbert.api.config.Activation;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The float vector GELU against double references; the other activations bit for bit. */
class GatedActivationTest {

    /** Float GELU of each value, through the in-place kernel (one row: vectors and a masked tail). */
    private static float[] gelu(float[] xs) {
        float[] y = xs.clone();
        GatedActivation.activate(Activation.GELU, y, 0, y.length, 0, 1);
        return y;
    }

    /**
     * GELU with a relatively accurate negative tail: {@code 0.5 x erfc(|x| / sqrt 2)} there, erfc
     * by its continued fraction. {@link Activation#apply} forms {@code 1 + erf}, which near
     * {@code x = -8} is the difference of two numbers near 1 and only good to ~1e-16 absolute.
     */
    private static double accurateGelu(double x) {
        double z = x / Math.sqrt(2.0);
        if (z >= -2.0) {
            return Activation.GELU.apply(x);
        }
        double az = -z;
        // erfc(z) = exp(-z^2) / sqrt(pi) / (z + 1/2 / (z + 1 / (z + 3/2 / (z + ...)))), backwards
        double f = az;
        for (int n = 200; n >= 1; n--) {
            f = az + n * 0.5 / f;
        }
        return 0.5 * x * Math.exp(-az * az) / Math.sqrt(Math.PI) / f;
    }

    @Test
    void geluMatchesDoubleReferenceOverADenseSweep() {
        int count = 2_000_001;
        float[] xs = new float[count];
        for (int i = 0; i < count; i++) {
            xs[i] = (float) (-10.0 + 20.0 * i / (count - 1));
        }
        float[] ys = gelu(xs);
        // error relative to max(1, |x|): float rounding of a result of size |x| (the positive side)
        double maxScaled = 0;
        double maxRelPositive = 0;
        double maxRel = 0;
        for (int i = 0; i < count; i++) {
            double x = xs[i];
            double abs = Math.abs(ys[i] - Activation.GELU.apply(x));
            maxScaled = Math.max(maxScaled, abs / Math.max(1, Math.abs(x)));
            double accurate = accurateGelu(x);
            // below x = -6 sqrt 2 the kernel (like the double reference) gives -0 for |gelu| < 1e-16;
            // there only the absolute error means anything
            if (x > -6 * Math.sqrt(2) && accurate != 0) {
                double rel = Math.abs(ys[i] - accurate) / Math.abs(accurate);
                maxRel = Math.max(maxRel, rel);
                if (x > 0) {
                    maxRelPositive = Math.max(maxRelPositive, rel);
                }
            }
        }
        assertTrue(maxScaled <= 1.5e-7, "max |error| / max(1, |x|): " + maxScaled);
        assertTrue(maxRelPositive <= 2e-7, "max rel error for x > 0: " + maxRelPositive);
        // for x < 0, 1 + erf(x / sqrt 2) just above x = -2.83 is a float difference of numbers near 1
        // (|gelu| ~ 7e-3 there, absolute error ~2e-7): up to ~3e-5 relative; the exp tail below is better
        assertTrue(maxRel <= 5e-5, "max rel error for x > -6 sqrt 2:  " + maxRel);
    }

    @Test
    void geluSpecialValues() {
        float[] xs = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE, 8.49f, -8.49f, 9f, -9f, 1e-30f, -1e-30f,
                Float.MIN_VALUE, 2.8284271f, -2.8284271f, 8.485281f, -8.485281f};
        float[] ys = gelu(xs);
        assertEquals(0f, ys[0], 0f);
        assertEquals(Float.POSITIVE_INFINITY, ys[2]);
        assertEquals(-0f, ys[3], 0f);
        assertTrue(Float.isNaN(ys[4]));
        assertEquals(1e30f, ys[5]);
        assertEquals(-0f, ys[6], 0f);
        assertEquals(Float.MAX_VALUE, ys[7], "0.5 x first, no overflow");
        assertEquals(-0f, ys[8], 0f);
        assertEquals(9f, ys[11]);
        assertEquals(0f, ys[12], 0f);
        assertEquals(0.5e-30f, ys[13], 0f);
        assertEquals(-0.5e-30f, ys[14], 0f);
        for (int i = 0; i < xs.length; i++) {
            if (i != 3 && i != 4 && Float.isFinite(xs[i])) {
                assertEquals(Activation.GELU.apply(xs[i]), ys[i], 3e-7 * Math.max(1, Math.abs(xs[i])), "x=" + xs[i]);
            }
        }
    }

    @Test
    void gatedGeluMatchesReferenceOnEveryWidth() {
        Random rnd = new Random(21);
        for (int half : new int[] {1, 5, 15, 16, 17, 40, 1152}) {
            int rows = 4;
            float[] u = new float[2 + rows * 2 * half];
            for (int i = 0; i < u.length; i++) {
                u[i] = (float) (2.5 * rnd.nextGaussian());
            }
            float[] out = new float[1 + rows * half + 1];
            GatedActivation.apply(Activation.GELU, u, 2, out, 1, half, 0, rows);
            assertEquals(0f, out[0]);
            assertEquals(0f, out[out.length - 1]);
            for (int t = 0; t < rows; t++) {
                for (int j = 0; j < half; j++) {
                    float a = u[2 + t * 2 * half + j];
                    float b = u[2 + t * 2 * half + half + j];
                    double expected = Activation.GELU.apply(a) * b;
                    double tolerance = 1.5e-7 * (Math.max(1, Math.abs(a)) * Math.abs(b) + Math.abs(expected));
                    assertEquals(expected, out[1 + t * half + j], tolerance,
                            "half=" + half + " t=" + t + " j=" + j);
                }
            }
        }
    }

    @Test
    void otherActivationsAreTheScalarDoubleOnes() {
        Random rnd = new Random(22);
        int half = 19;
        int rows = 3;
        for (Activation act : Activation.values()) {
            float[] u = new float[rows * 2 * half];
            for (int i = 0; i < u.length; i++) {
                u[i] = (float) (3 * rnd.nextGaussian());
            }
            float[] out = new float[rows * half];
            GatedActivation.apply(act, u, 0, out, 0, half, 1, rows);
            float[] x = u.clone();
            GatedActivation.activate(act, x, 0, 2 * half, 1, rows);
            for (int j = 0; j < 2 * half; j++) {
                assertEquals(u[j], x[j], 0f, "row 0 is outside [1, rows)");
            }
            for (int j = 0; j < half; j++) {
                assertEquals(0f, out[j], 0f, "row 0 is outside [1, rows)");
            }
            if (act == Activation.GELU) {
                continue;
            }
            for (int t = 1; t < rows; t++) {
                for (int j = 0; j < half; j++) {
                    int uo = t * 2 * half;
                    assertEquals((float) (act.apply(u[uo + j]) * u[uo + half + j]), out[t * half + j], 0f, act + " gated");
                }
                for (int j = 0; j < 2 * half; j++) {
                    assertEquals((float) act.apply(u[t * 2 * half + j]), x[t * 2 * half + j], 0f, act + " activate");
                }
            }
        }
    }

    @Test
    void splitsGiveTheSameBits() {
        Random rnd = new Random(23);
        int half = 37;
        int rows = 5;
        float[] u = new float[rows * 2 * half];
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) (4 * rnd.nextGaussian());
        }
        float[] whole = new float[rows * half];
        GatedActivation.apply(Activation.GELU, u, 0, whole, 0, half, 0, rows);
        float[] parts = new float[rows * half];
        GatedActivation.apply(Activation.GELU, u, 0, parts, 0, half, 3, rows);
        GatedActivation.apply(Activation.GELU, u, 0, parts, 0, half, 0, 3);
        assertArrayEquals(whole, parts);
    }
}
