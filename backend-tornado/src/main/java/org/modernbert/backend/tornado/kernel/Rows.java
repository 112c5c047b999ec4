package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Row copies and the argmax over rows. */
public final class Rows {
    /** Largest work-group size of {@link #argmax} (its local arrays' length). */
    public static final int MAX_LOCAL = 256;

    private Rows() {
    }

    /** {@code dst[r] = src[rows[r]]} for the {@code counts[countIdx]} head rows; one work-item per value. */
    public static void gather(KernelContext ctx, IntArray counts, int countIdx, IntArray rows, FloatArray src, FloatArray dst, int width) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(countIdx) * width) {
            int r = gid / width;
            dst.set(gid, src.get(rows.get(r) * width + gid - r * width));
        }
    }

    /** {@code dst = src} over the first {@code counts[countIdx] * width} values (a snapshot the host may fetch). */
    public static void copy(KernelContext ctx, IntArray counts, int countIdx, FloatArray src, FloatArray dst, int width) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(countIdx) * width) {
            dst.set(gid, src.get(gid));
        }
    }

    /**
     * The index of the largest value of each of the {@code counts[countIdx]} rows of {@code width}
     * (the lowest index on ties), one work-group per row, reduced in local memory.
     */
    public static void argmax(KernelContext ctx, IntArray counts, int countIdx, FloatArray x, IntArray result, int width) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int local = ctx.localGroupSizeX;
        float[] best = ctx.allocateFloatLocalArray(MAX_LOCAL);
        int[] at = ctx.allocateIntLocalArray(MAX_LOCAL);
        float mine = -3.4028235e38f;
        int mineAt = width;
        if (row < counts.get(countIdx)) {
            int base = row * width;
            for (int i = lid; i < width; i += local) {
                float value = x.get(base + i);
                if (value > mine || mineAt == width) {
                    mine = value;
                    mineAt = i;
                }
            }
        }
        best[lid] = mine;
        at[lid] = mineAt;
        ctx.localBarrier();
        for (int stride = local / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                float other = best[lid + stride];
                int otherAt = at[lid + stride];
                if (other > best[lid] || (other == best[lid] && otherAt < at[lid])) {
                    best[lid] = other;
                    at[lid] = otherAt;
                }
            }
            ctx.localBarrier();
        }
        if (lid == 0 && row < counts.get(countIdx)) {
            result.set(row, TornadoMath.min(at[0], width - 1));
        }
    }
}
