package org.modernbert.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.modernbert.api.config.Activation;
import org.modernbert.backend.cpu.kernel.Lanes;

/**
 * The attention and element-wise loops of the CPU backend that have not moved into their kernel
 * families yet (the matrix products are {@link org.modernbert.backend.cpu.kernel.Gemm}).
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = Lanes.F;
    static final int LANES = Lanes.LANES;

    // ---------------------------------------------------------------- attention helpers

    /** {@code sum_i a[aOff + i] * b[bOff + i]}. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += LANES) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = Lanes.sum(acc);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** {@code y[yOff + i] += alpha * x[xOff + i]}. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += LANES) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    // ---------------------------------------------------------------- element-wise

    /**
     * LayerNorm of {@code n} values into {@code out} (may be {@code x} itself): two passes (mean, then
     * variance of the deviations) in double, never {@code E[x^2] - E[x]^2}, which cancels badly.
     */
    static void layerNorm(float[] x, int xOff, int n, float[] weight, float[] bias, double eps, float[] out, int outOff) {
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

    /** {@code out[j] = act(u[j]) * u[half + j]} for one token (GeGLU style gated MLP input). */
    static void gatedActivation(Activation act, float[] u, int uOff, int half, float[] out, int outOff) {
        if (act == Activation.GELU) {
            for (int j = 0; j < half; j++) {
                out[outOff + j] = (float) (gelu(u[uOff + j]) * u[uOff + half + j]);
            }
            return;
        }
        for (int j = 0; j < half; j++) {
            out[outOff + j] = (float) (act.apply(u[uOff + j]) * u[uOff + half + j]);
        }
    }

    /** {@code x[off + j] = act(x[off + j])} for {@code n} values. */
    static void activate(Activation act, float[] x, int off, int n) {
        if (act == Activation.GELU) {
            for (int j = 0; j < n; j++) {
                x[off + j] = (float) gelu(x[off + j]);
            }
            return;
        }
        for (int j = 0; j < n; j++) {
            x[off + j] = (float) act.apply(x[off + j]);
        }
    }

    // ---------------------------------------------------------------- erf

    private static final double INV_SQRT2 = 0.7071067811865476;

    /** Exact (erf) GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, with {@link #erf}. */
    static double gelu(double x) {
        return 0.5 * x * (1.0 + erf(x * INV_SQRT2));
    }

    /*
     * Least-squares Chebyshev fits (2000 Chebyshev nodes, 40-digit reference erf), converted to powers of
     * the mapped variable so Horner runs on [-1, 1]:
     *   |x| < 2:      erf(x) = x * A(s),                   s = (x^2 - 2) / 2
     *   2 <= |x| < 6: erf(x) = 1 - exp(-x^2) / x * B(r),   r = (1/x - 1/6) * 6 - 1   (1/x in [1/6, 1/2])
     *   |x| >= 6:     erf(x) = 1 (erfc(6) = 2e-17)
     * Max abs error against the exact function: 3e-13 (A) and 2e-14 (B).
     */
    private static final double A0 = 0.6749332360398015, A1 = -0.26111186093138095, A2 = 0.11947913859554031,
            A3 = -0.04866277744410358, A4 = 0.01712834480046479, A5 = -0.005234875890604814,
            A6 = 0.0014050900545343758, A7 = -0.0003351432748768563, A8 = 7.180490832927595e-05,
            A9 = -1.3946903933204636e-05, A10 = 2.4701111998936417e-06, A11 = -4.0368873183878723e-07,
            A12 = 6.529247703336564e-08, A13 = -9.159377822275052e-09;
    private static final double B0 = 0.5370034535440321, B1 = -0.023826556719133828, B2 = -0.003204801307397859,
            B3 = 0.0009059264794885501, B4 = -7.918379996841953e-05, B5 = -1.2427863560160099e-05,
            B6 = 5.916085558328272e-06, B7 = -1.0229143145638324e-06, B8 = 1.0443842030314824e-08,
            B9 = 5.3924650480390655e-08, B10 = -1.525409844148088e-08;

    /**
     * The error function from two polynomial fits (see above), within 1e-12 of
     * {@link Activation#erf} but without its series loop; NaN stays NaN.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.0) {
            double s = (x * x - 2.0) * 0.5;
            double p = A13;
            p = Math.fma(p, s, A12);
            p = Math.fma(p, s, A11);
            p = Math.fma(p, s, A10);
            p = Math.fma(p, s, A9);
            p = Math.fma(p, s, A8);
            p = Math.fma(p, s, A7);
            p = Math.fma(p, s, A6);
            p = Math.fma(p, s, A5);
            p = Math.fma(p, s, A4);
            p = Math.fma(p, s, A3);
            p = Math.fma(p, s, A2);
            p = Math.fma(p, s, A1);
            p = Math.fma(p, s, A0);
            return x * p;
        }
        if (ax < 6.0) {
            double inv = 1.0 / ax;
            double r = inv * 6.0 - 2.0;
            double p = B10;
            p = Math.fma(p, r, B9);
            p = Math.fma(p, r, B8);
            p = Math.fma(p, r, B7);
            p = Math.fma(p, r, B6);
            p = Math.fma(p, r, B5);
            p = Math.fma(p, r, B4);
            p = Math.fma(p, r, B3);
            p = Math.fma(p, r, B2);
            p = Math.fma(p, r, B1);
            p = Math.fma(p, r, B0);
            return Math.copySign(1.0 - Math.exp(-ax * ax) * inv * p, x);
        }
        return Double.isNaN(x) ? x : Math.copySign(1.0, x);
    }
}
