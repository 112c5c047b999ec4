package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.modernbert.api.config.Activation;

import static org.modernbert.backend.cpu.kernel.Lanes.F;
import static org.modernbert.backend.cpu.kernel.Lanes.LANES;

/**
 * The gated MLP input ({@code out = act(input) * gate}, GeGLU for GELU; {@link Gemm} calls it in its
 * epilogue) and the in-place activation of the classification head's dense layer.
 * <p>
 * GELU (the exact erf form) runs in float vectors (see {@code geluRow}); the other
 * {@link Activation}s go through the scalar double {@link Activation#apply}.
 * Tails shorter than a vector use masked loads and stores, so every element of a row takes the
 * same operations wherever it sits.
 */
public final class GatedActivation {
    private GatedActivation() {
    }

    /**
     * {@code out[t][j] = act(u[t][j]) * u[t][half + j]} for rows {@code t} in {@code [from, to)} and
     * {@code j < half}: row {@code t} of u starts at {@code uOff + t * 2 * half}, of out at
     * {@code outOff + t * half}.
     */
    public static void apply(Activation act, float[] u, int uOff, float[] out, int outOff, int half, int from, int to) {
        apply(act, u, uOff + from * 2 * half, 2 * half, out, outOff + from * half, half, half, to - from);
    }

    /**
     * The same over {@code rows} rows with explicit strides: row {@code t} of u (its act half, then
     * its gate half) starts at {@code uOff + t * uStride}, of out at {@code outOff + t * outStride}.
     */
    public static void apply(Activation act, float[] u, int uOff, int uStride, float[] out, int outOff, int outStride,
                             int half, int rows) {
        for (int t = 0; t < rows; t++) {
            int uo = uOff + t * uStride;
            int oo = outOff + t * outStride;
            if (act == Activation.GELU) {
                geluRow(u, uo, u, uo + half, out, oo, half);
            } else {
                for (int j = 0; j < half; j++) {
                    out[oo + j] = (float) (act.apply(u[uo + j]) * u[uo + half + j]);
                }
            }
        }
    }

    /**
     * {@code x = act(x)} in place on rows {@code [from, to)} of a {@code [rows x n]} matrix whose
     * row {@code r} starts at {@code off + r * n}.
     */
    public static void activate(Activation act, float[] x, int off, int n, int from, int to) {
        if (act != Activation.GELU) {
            for (int i = off + from * n; i < off + to * n; i++) {
                x[i] = (float) act.apply(x[i]);
            }
            return;
        }
        for (int r = from; r < to; r++) {
            geluRow(x, off + r * n, null, 0, x, off + r * n, n);
        }
    }

    // ---------------------------------------------------------------- GELU

    private static final float INV_SQRT2 = 0.70710678118654752f;

    /*
     * The two fits of the double erf the backend used before (see GatedActivationTest), with float coefficients (Horner in float FMA):
     *   |z| < 2:      erf(z) = z * A(s),                 s = (z^2 - 2) / 2
     *   2 <= |z| < 6: erfc(|z|) = exp(-z^2) / |z| * B(r), r = 6 / |z| - 2
     *   |z| >= 6:     erf(z) = sign(z)  (erfc(6) = 2e-17)
     * The fits are good to 3e-13, far below float rounding.
     */
    private static final float A0 = 0.6749332360398015f, A1 = -0.26111186093138095f, A2 = 0.11947913859554031f,
            A3 = -0.04866277744410358f, A4 = 0.01712834480046479f, A5 = -0.005234875890604814f,
            A6 = 0.0014050900545343758f, A7 = -0.0003351432748768563f, A8 = 7.180490832927595e-05f,
            A9 = -1.3946903933204636e-05f, A10 = 2.4701111998936417e-06f, A11 = -4.0368873183878723e-07f,
            A12 = 6.529247703336564e-08f, A13 = -9.159377822275052e-09f;
    private static final float B0 = 0.5370034535440321f, B1 = -0.023826556719133828f, B2 = -0.003204801307397859f,
            B3 = 0.0009059264794885501f, B4 = -7.918379996841953e-05f, B5 = -1.2427863560160099e-05f,
            B6 = 5.916085558328272e-06f, B7 = -1.0229143145638324e-06f, B8 = 1.0443842030314824e-08f,
            B9 = 5.3924650480390655e-08f, B10 = -1.525409844148088e-08f;

    /**
     * Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, of {@code x[xo .. xo + n)}, times
     * {@code gate[go ..]} when gate is not null, into {@code out[oo ..]} (may be x itself). {@code 1 + erf(z)} is formed
     * directly: {@code 1 + z A(s)} near 0, and for {@code |z| >= 2} either {@code 2 - erfc(z)} or,
     * for negative z, {@code erfc(|z|)} itself, so the negative tail keeps its relative accuracy
     * instead of being the difference of two numbers near 1. Each fit is evaluated only when some
     * lane needs it (most activations have {@code |x| < 2.83}, which skips the exp). GELU(+inf) =
     * +inf, GELU(-inf) = -0, NaN stays NaN.
     * <p>
     * Measured on 2M points of [-10, 10] against the double GELU: |error| <= 1.3e-7 max(1, |x|)
     * (about one float ulp of the result), relative error <= 1.3e-7 for x > 0. For x < 0 the
     * relative error reaches 2.7e-5 just above x = -2.83 (|GELU| ~ 7e-3, absolute 1.9e-7), where
     * {@code 1 + z A(s)} is a float difference of numbers near 1 (below -2.83 the erfc form takes over).
     */
    private static void geluRow(float[] x, int xo, float[] gate, int go, float[] out, int oo, int n) {
        // Everything in this one method, no helpers taking or returning vectors: C2 declines to
        // inline a callee whose (C1) code is already big, and a vector crossing a call that is not
        // inlined is boxed; that made GeGLU 10x slower than the scalar loop. One call site per
        // operation too (the last, partial vector goes through the same loop with a mask).
        for (int j = 0; j < n; j += LANES) {
            VectorMask<Float> in = F.indexInRange(j, n);
            FloatVector v = FloatVector.fromArray(F, x, xo + j, in);
            FloatVector z = v.mul(INV_SQRT2);
            FloatVector az = z.abs();
            VectorMask<Float> negative = z.compare(VectorOperators.LT, 0f);
            VectorMask<Float> small = az.compare(VectorOperators.LT, 2f);
            VectorMask<Float> mid = az.compare(VectorOperators.LT, 6f).andNot(small);
            // saturated lanes (and NaN, which compares false everywhere): 1 + erf is 2, or 0 when negative
            FloatVector onePlusErf = FloatVector.broadcast(F, 2f).blend(FloatVector.zero(F), negative);
            if (small.anyTrue()) {
                // 1 + z A(s)
                FloatVector s = z.fma(z, FloatVector.broadcast(F, -2f)).mul(0.5f);
                FloatVector p = FloatVector.broadcast(F, A13);
                p = p.fma(s, FloatVector.broadcast(F, A12));
                p = p.fma(s, FloatVector.broadcast(F, A11));
                p = p.fma(s, FloatVector.broadcast(F, A10));
                p = p.fma(s, FloatVector.broadcast(F, A9));
                p = p.fma(s, FloatVector.broadcast(F, A8));
                p = p.fma(s, FloatVector.broadcast(F, A7));
                p = p.fma(s, FloatVector.broadcast(F, A6));
                p = p.fma(s, FloatVector.broadcast(F, A5));
                p = p.fma(s, FloatVector.broadcast(F, A4));
                p = p.fma(s, FloatVector.broadcast(F, A3));
                p = p.fma(s, FloatVector.broadcast(F, A2));
                p = p.fma(s, FloatVector.broadcast(F, A1));
                p = p.fma(s, FloatVector.broadcast(F, A0));
                onePlusErf = onePlusErf.blend(z.fma(p, FloatVector.broadcast(F, 1f)), small);
            }
            if (mid.anyTrue()) {
                // 2 - erfc(z), or erfc(|z|) itself for negative z
                FloatVector inv = FloatVector.broadcast(F, 1f).div(az);
                FloatVector r = inv.fma(FloatVector.broadcast(F, 6f), FloatVector.broadcast(F, -2f));
                FloatVector p = FloatVector.broadcast(F, B10);
                p = p.fma(r, FloatVector.broadcast(F, B9));
                p = p.fma(r, FloatVector.broadcast(F, B8));
                p = p.fma(r, FloatVector.broadcast(F, B7));
                p = p.fma(r, FloatVector.broadcast(F, B6));
                p = p.fma(r, FloatVector.broadcast(F, B5));
                p = p.fma(r, FloatVector.broadcast(F, B4));
                p = p.fma(r, FloatVector.broadcast(F, B3));
                p = p.fma(r, FloatVector.broadcast(F, B2));
                p = p.fma(r, FloatVector.broadcast(F, B1));
                p = p.fma(r, FloatVector.broadcast(F, B0));
                // exp(-z^2), the operations of VectorExp.exp written out: lanewise(EXP) rounds
                // differently compiled and interpreted
                FloatVector ex = z.mul(z).neg().max(-87.3f);
                FloatVector et = ex.fma(VectorExp.LOG2E, VectorExp.SHIFTER);
                FloatVector en = et.sub(VectorExp.SHIFTER);
                FloatVector er = en.fma(FloatVector.broadcast(F, -VectorExp.LN2_HI), ex);
                er = en.fma(FloatVector.broadcast(F, -VectorExp.LN2_LO), er);
                FloatVector ey = er.fma(VectorExp.E0, VectorExp.E1);
                ey = ey.fma(er, FloatVector.broadcast(F, VectorExp.E2));
                ey = ey.fma(er, FloatVector.broadcast(F, VectorExp.E3));
                ey = ey.fma(er, FloatVector.broadcast(F, VectorExp.E4));
                ey = ey.fma(er, FloatVector.broadcast(F, VectorExp.E5));
                ey = ey.fma(er.mul(er), er).add(1f);
                FloatVector expNegZ2 = ey.mul(et.reinterpretAsInts().sub(VectorExp.SHIFTER_BITS - 127)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                FloatVector erfc = expNegZ2.mul(inv).mul(p);
                onePlusErf = onePlusErf.blend(FloatVector.broadcast(F, 2f).sub(erfc).blend(erfc, negative), mid);
            }
            // 0.5 x first: x * 2 would overflow near Float.MAX_VALUE
            FloatVector g = v.mul(0.5f).mul(onePlusErf);
            // -inf * 0 is NaN; the limit (and what every finite x < -8.5 gives) is -0
            g = g.blend(FloatVector.broadcast(F, -0f), v.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
            if (gate != null) {
                g = g.mul(FloatVector.fromArray(F, gate, go + j, in));
            }
            g.intoArray(out, oo + j, in);
        }
    }
}
