package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static org.modernbert.backend.cpu.kernel.Lanes.F;
import static org.modernbert.backend.cpu.kernel.Lanes.LANES;

/**
 * LayerNorm over the rows of a {@code [rows x n]} matrix, in float vectors.
 * <p>
 * Three passes per row, all accumulated in float lanes:
 * <ol>
 * <li>a first mean {@code m} (rounded to float);</li>
 * <li>{@code d = x - m}, summing {@code d} and {@code d^2}: the variance of deviations, never
 * {@code E[x^2] - E[x]^2}. The sum of {@code d} corrects the mean: {@code mean = m + c},
 * {@code c = sum(d) / n}, {@code var = (sum(d^2) - sum(d) * c) / n} (the corrected two-pass
 * algorithm). Without it a float mean of values around 100 is off by ~1e-5, which shifts every
 * output by as much; with it the mean is as good as a double one;</li>
 * <li>{@code out = ((x - m) - c) * inv * w + b}. {@code x - m} is exact when the values sit
 * within a factor 2 of the mean (Sterbenz), which is when it matters.</li>
 * </ol>
 * Rows are independent and every row takes the same operations in the same order, so the result
 * does not depend on how rows are split across threads. Tails shorter than a vector use masked
 * loads, so odd widths cost no scalar loop.
 */
public final class LayerNorm {
    private LayerNorm() {
    }

    /**
     * Normalises rows {@code [from, to)}: row {@code r} of x starts at {@code xOff + r * n}, of out
     * at {@code outOff + r * n}. {@code out} may be {@code x} with the same offset (in place), but
     * must not overlap it otherwise.
     *
     * @param weight n scales
     * @param bias   n shifts, or null
     */
    public static void apply(float[] x, int xOff, float[] out, int outOff, int n,
                             float[] weight, float[] bias, double eps, int from, int to) {
        for (int r = from; r < to; r++) {
            row(x, xOff + r * n, out, outOff + r * n, n, weight, bias, eps);
        }
    }

    /** One row of {@code n} values at {@code x[xo..]} into {@code out[oo..]}. */
    public static void row(float[] x, int xo, float[] out, int oo, int n, float[] weight, float[] bias, double eps) {
        // three small methods, not one: C1 gave up on the single big one ("out of virtual registers")
        // and it then ran boxed, without intrinsics, for seconds before C2 took over
        float m = (float) ((double) sum(x, xo, n) / n);
        long moments = deviationMoments(x, xo, n, m);
        double sd = Float.intBitsToFloat((int) (moments >>> 32));
        double sq = Float.intBitsToFloat((int) moments);
        double c = sd / n;
        // sum((d - c)^2) = sum(d^2) - sum(d) * c; cannot be negative but for rounding
        double var = Math.max(0.0, (sq - sd * c) / n);
        normalise(x, xo, out, oo, n, weight, bias, m, (float) c, (float) (1.0 / Math.sqrt(var + eps)));
    }

    /** Pass 1: the sum of the row, four accumulators for independent adds. */
    private static float sum(float[] x, int xo, int n) {
        int upper = F.loopBound(n);
        int upper4 = n - n % (4 * LANES);
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int i = 0;
        for (; i < upper4; i += 4 * LANES) {
            a0 = a0.add(FloatVector.fromArray(F, x, xo + i));
            a1 = a1.add(FloatVector.fromArray(F, x, xo + i + LANES));
            a2 = a2.add(FloatVector.fromArray(F, x, xo + i + 2 * LANES));
            a3 = a3.add(FloatVector.fromArray(F, x, xo + i + 3 * LANES));
        }
        for (; i < upper; i += LANES) {
            a0 = a0.add(FloatVector.fromArray(F, x, xo + i));
        }
        if (upper < n) {
            a1 = a1.add(FloatVector.fromArray(F, x, xo + upper, F.indexInRange(upper, n)));
        }
        return Lanes.sum(a0.add(a1).add(a2.add(a3)));
    }

    /**
     * Pass 2: {@code sum(d)} and {@code sum(d^2)} of {@code d = x - m}, as the float bits of the
     * first in the high and of the second in the low half of a long (two results, no allocation).
     */
    private static long deviationMoments(float[] x, int xo, int n, float m) {
        int upper = F.loopBound(n);
        int upper2 = n - n % (2 * LANES);
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
        FloatVector q0 = FloatVector.zero(F), q1 = FloatVector.zero(F);
        int i = 0;
        for (; i < upper2; i += 2 * LANES) {
            FloatVector d0 = FloatVector.fromArray(F, x, xo + i).sub(mv);
            FloatVector d1 = FloatVector.fromArray(F, x, xo + i + LANES).sub(mv);
            s0 = s0.add(d0);
            s1 = s1.add(d1);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
        }
        for (; i < upper; i += LANES) {
            FloatVector d0 = FloatVector.fromArray(F, x, xo + i).sub(mv);
            s0 = s0.add(d0);
            q0 = d0.fma(d0, q0);
        }
        if (upper < n) {
            // masked-off lanes keep the loaded 0 instead of becoming -m
            VectorMask<Float> tail = F.indexInRange(upper, n);
            FloatVector d1 = FloatVector.fromArray(F, x, xo + upper, tail).sub(mv, tail);
            s1 = s1.add(d1);
            q1 = d1.fma(d1, q1);
        }
        float sd = Lanes.sum(s0.add(s1));
        float sq = Lanes.sum(q0.add(q1));
        return ((long) Float.floatToRawIntBits(sd) << 32) | (Float.floatToRawIntBits(sq) & 0xFFFFFFFFL);
    }

    /** Pass 3: {@code out = ((x - m) - c) * inv * w + b}; x - m is exact near the mean, c is small. */
    private static void normalise(float[] x, int xo, float[] out, int oo, int n, float[] weight, float[] bias,
                                  float m, float c, float invStd) {
        int upper = F.loopBound(n);
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector cv = FloatVector.broadcast(F, c);
        FloatVector inv = FloatVector.broadcast(F, invStd);
        int i = 0;
        if (bias != null) {
            for (; i < upper; i += LANES) {
                FloatVector y = FloatVector.fromArray(F, x, xo + i).sub(mv).sub(cv).mul(inv);
                y.fma(FloatVector.fromArray(F, weight, i), FloatVector.fromArray(F, bias, i)).intoArray(out, oo + i);
            }
            if (upper < n) {
                VectorMask<Float> tail = F.indexInRange(upper, n);
                FloatVector y = FloatVector.fromArray(F, x, xo + upper, tail).sub(mv).sub(cv).mul(inv);
                y.fma(FloatVector.fromArray(F, weight, upper, tail), FloatVector.fromArray(F, bias, upper, tail))
                        .intoArray(out, oo + upper, tail);
            }
        } else {
            for (; i < upper; i += LANES) {
                FloatVector y = FloatVector.fromArray(F, x, xo + i).sub(mv).sub(cv).mul(inv);
                y.mul(FloatVector.fromArray(F, weight, i)).intoArray(out, oo + i);
            }
            if (upper < n) {
                VectorMask<Float> tail = F.indexInRange(upper, n);
                FloatVector y = FloatVector.fromArray(F, x, xo + upper, tail).sub(mv).sub(cv).mul(inv);
                y.mul(FloatVector.fromArray(F, weight, upper, tail)).intoArray(out, oo + upper, tail);
            }
        }
    }
}
