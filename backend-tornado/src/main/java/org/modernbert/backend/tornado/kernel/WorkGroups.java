package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;

/** Reductions over one work-group in local memory (not {@code @Reduce}, which is wrong on some devices). */
public final class WorkGroups {
    /** Largest work-group size the local array is sized for. */
    public static final int MAX_LOCAL = 256;

    private WorkGroups() {
    }

    /**
     * The sum of {@code value} over the work-group (a power-of-two size up to {@link #MAX_LOCAL}); every
     * work-item of the group gets it. Every work-item must call it (it holds barriers).
     */
    static float sum(KernelContext ctx, float value) {
        int lid = ctx.localIdx;
        int local = ctx.localGroupSizeX;
        float[] partial = ctx.allocateFloatLocalArray(MAX_LOCAL);
        partial[lid] = value;
        ctx.localBarrier();
        for (int stride = local / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                partial[lid] += partial[lid + stride];
            }
            ctx.localBarrier();
        }
        return partial[0];
    }
}
