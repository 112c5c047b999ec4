package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Rotate-half RoPE of q and k in place: in each head the pairs {@code (j, j + headDim/2)} turn by
 * the angle of the token's position, read from cos/sin tables {@code [position][headDim/2]} that the
 * host computes in double for the layer's theta (float angles drift at long positions).
 * One work-item per (token, head, j).
 */
public final class Rope {
    private Rope() {
    }

    public static void applyRope(KernelContext ctx, IntArray counts, IntArray tokens, FloatArray q, FloatArray k, FloatArray cosTable,
                              FloatArray sinTable, int heads, int headDim) {
        int gid = ctx.globalIdx;
        int pairs = headDim / 2;
        int perToken = heads * pairs;
        if (gid < counts.get(Step.TOKENS) * perToken) {
            int t = gid / perToken;
            int rest = gid - t * perToken;
            int head = rest / pairs;
            int j = rest - head * pairs;
            int position = tokens.get(t * Step.TOKEN_FIELDS + Step.POSITION);
            float c = cosTable.get(position * pairs + j);
            float s = sinTable.get(position * pairs + j);
            int a = t * heads * headDim + head * headDim + j;
            int b = a + pairs;
            float q1 = q.get(a);
            float q2 = q.get(b);
            q.set(a, q1 * c - q2 * s);
            q.set(b, q2 * c + q1 * s);
            float k1 = k.get(a);
            float k2 = k.get(b);
            k.set(a, k1 * c - k2 * s);
            k.set(b, k2 * c + k1 * s);
        }
    }
}
