package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * LayerNorm over rows, one work-group per row, its mean and variance reduced in local memory (not
 * {@code @Reduce}, which is wrong on some devices). The bias is optional ({@code hasBias} 0: a
 * one-element placeholder array is passed).
 */
public final class Norms {
    /** Largest work-group size the kernels are written for (the local arrays' length). */
    public static final int MAX_LOCAL = WorkGroups.MAX_LOCAL;

    private Norms() {
    }

    /**
     * {@code out[r] = (in[r] - mean) / sqrt(var + eps) * weight + bias} for rows {@code r < counts[countIdx]};
     * {@code out} may be {@code in}. Launch {@code rows x local} work-items, local size a power of two up to {@link #MAX_LOCAL}.
     */
    public static void layerNorm(KernelContext ctx, IntArray counts, int countIdx, FloatArray in, FloatArray out,
                                 FloatArray weight, FloatArray bias, int hasBias, int width, float eps) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int local = ctx.localGroupSizeX;
        int rows = counts.get(countIdx);
        int base = row * width;
        float sum = 0.0f;
        if (row < rows) {
            for (int i = lid; i < width; i += local) {
                sum += in.get(base + i);
            }
        }
        float mean = WorkGroups.sum(ctx, sum) / width;
        float sq = 0.0f;
        if (row < rows) {
            for (int i = lid; i < width; i += local) {
                float d = in.get(base + i) - mean;
                sq += d * d;
            }
        }
        float inv = 1.0f / TornadoMath.sqrt(WorkGroups.sum(ctx, sq) / width + eps);
        if (row < rows) {
            for (int i = lid; i < width; i += local) {
                float y = (in.get(base + i) - mean) * inv * weight.get(i);
                if (hasBias != 0) {
                    y += bias.get(i);
                }
                out.set(base + i, y);
            }
        }
    }
}
