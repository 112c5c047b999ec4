package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Activation functions as kernels: the gated MLP ({@code act(first half) * second half}) and the
 * head's plain activation. Activation codes follow {@link #GELU} .. {@link #RELU}.
 */
public final class Activations {
    public static final int GELU = 0;
    public static final int GELU_TANH = 1;
    public static final int QUICK_GELU = 2;
    public static final int SILU = 3;
    public static final int RELU = 4;

    private Activations() {
    }

    /** One activation in float; GELU is the exact erf form (erf to ~1.5e-7, far below float32 noise of the model). */
    public static float apply(int act, float x) {
        float y;
        if (act == GELU) {
            y = 0.5f * x * (1.0f + erf(x * 0.70710678f));
        } else if (act == GELU_TANH) {
            y = 0.5f * x * (1.0f + TornadoMath.tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
        } else if (act == QUICK_GELU) {
            y = x / (1.0f + TornadoMath.exp(-1.702f * x));
        } else if (act == SILU) {
            y = x / (1.0f + TornadoMath.exp(-x));
        } else {
            y = TornadoMath.max(0.0f, x);
        }
        return y;
    }

    /** Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
    public static float erf(float x) {
        float ax = TornadoMath.abs(x);
        float t = 1.0f / (1.0f + 0.3275911f * ax);
        float poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
        float y = 1.0f - poly * TornadoMath.exp(-ax * ax);
        return x < 0 ? -y : y;
    }

    /**
     * {@code gated[t][i] = act(up[t][i]) * up[t][inter + i]} for the {@code counts[countIdx]} rows;
     * one work-item per value.
     */
    public static void gated(KernelContext ctx, IntArray counts, int countIdx, FloatArray up, FloatArray gated, int inter, int act) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(countIdx) * inter) {
            int t = gid / inter;
            int i = gid - t * inter;
            int base = t * 2 * inter;
            gated.set(gid, apply(act, up.get(base + i)) * up.get(base + inter + i));
        }
    }

    /** {@code x[i] = act(x[i])} over the first {@code counts[countIdx] * width} values; one work-item per value. */
    public static void inPlace(KernelContext ctx, IntArray counts, int countIdx, FloatArray x, int width, int act) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(countIdx) * width) {
            x.set(gid, apply(act, x.get(gid)));
        }
    }
}
