package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static org.modernbert.backend.cpu.kernel.Lanes.F;
import static org.modernbert.backend.cpu.kernel.Lanes.LANES;

/**
 * Rotary position embedding, rotate-half form: in each head of {@code d} values the pairs
 * {@code (j, j + d/2)} turn by the angle {@code position * theta^(-2j/d)}.
 * <p>
 * The cos/sin table is computed in double and rounded to float, one row of {@code d/2} per
 * position, grown on demand by {@link #ensure} (not thread-safe: call it before splitting rows
 * across threads; {@link #apply} only reads).
 * <p>
 * The rotation is {@code x1 * c - x2 * s} and {@code x2 * c + x1 * s}, as separate multiplies and
 * adds in vectors over {@code j} (a scalar loop for the {@code j} that do not fill a vector). No
 * FMA: Java never contracts, so these are the same float operations as the scalar loop and the
 * results are bit-identical to it; an FMA would change the last bit of about half the values.
 */
public final class Rope {
    private final int headDim;
    private final int half;
    private final double[] invFreq;
    private float[] cos = new float[0];
    private float[] sin = new float[0];
    private int positions;

    public Rope(double theta, int headDim) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE needs an even head dimension, got " + headDim);
        }
        this.headDim = headDim;
        half = headDim / 2;
        invFreq = new double[half];
        for (int j = 0; j < half; j++) {
            invFreq[j] = Math.pow(theta, -2.0 * j / headDim);
        }
    }

    public int headDim() {
        return headDim;
    }

    /** Positions {@code [0, positions())} are in the table. */
    public int positions() {
        return positions;
    }

    /** Makes the table hold positions {@code [0, needed)}; at least doubles when it grows. */
    public void ensure(int needed) {
        if (needed <= positions) {
            return;
        }
        int n = Math.max(needed, positions * 2);
        float[] c = Arrays.copyOf(cos, n * half);
        float[] s = Arrays.copyOf(sin, n * half);
        for (int p = positions; p < n; p++) {
            for (int j = 0; j < half; j++) {
                double a = p * invFreq[j];
                c[p * half + j] = (float) Math.cos(a);
                s[p * half + j] = (float) Math.sin(a);
            }
        }
        cos = c;
        sin = s;
        positions = n;
    }

    /**
     * Rotates rows {@code [from, to)} of q and of k in place. Row {@code t} starts at
     * {@code t * stride} in both, holds {@code heads} heads of {@link #headDim()} values and sits at
     * position {@code positions[t]}, which must be below {@link #positions()}.
     */
    public void apply(float[] q, float[] k, int stride, int heads, int[] positions, int from, int to) {
        for (int t = from; t < to; t++) {
            apply(q, t * stride, heads, positions[t]);
            apply(k, t * stride, heads, positions[t]);
        }
    }

    /**
     * Rotates rows {@code [from, to)} of one matrix in place: row {@code t} starts at
     * {@code off + t * stride} and sits at position {@code positions[t]}.
     */
    public void apply(float[] x, int off, int stride, int heads, int[] positions, int from, int to) {
        for (int t = from; t < to; t++) {
            apply(x, off + t * stride, heads, positions[t]);
        }
    }

    /** Rotates the {@code heads} heads of one token starting at {@code x[off]} in place. */
    public void apply(float[] x, int off, int heads, int position) {
        if (position < 0 || position >= positions) {
            throw new IndexOutOfBoundsException("position " + position + " is not in the table of " + positions);
        }
        float[] cos = this.cos;
        float[] sin = this.sin;
        int base = position * half;
        // vectors only where a whole one fits in d/2; the rest (or all of a small head) scalar
        int upper = half >= LANES ? F.loopBound(half) : 0;
        for (int hh = 0; hh < heads; hh++) {
            int o = off + hh * headDim;
            int j = 0;
            for (; j < upper; j += LANES) {
                FloatVector c = FloatVector.fromArray(F, cos, base + j);
                FloatVector s = FloatVector.fromArray(F, sin, base + j);
                FloatVector x1 = FloatVector.fromArray(F, x, o + j);
                FloatVector x2 = FloatVector.fromArray(F, x, o + j + half);
                x1.mul(c).sub(x2.mul(s)).intoArray(x, o + j);
                x2.mul(c).add(x1.mul(s)).intoArray(x, o + j + half);
            }
            for (; j < half; j++) {
                float c = cos[base + j];
                float s = sin[base + j];
                float x1 = x[o + j];
                float x2 = x[o + j + half];
                x[o + j] = x1 * c - x2 * s;
                x[o + j + half] = x2 * c + x1 * s;
            }
        }
    }
}
