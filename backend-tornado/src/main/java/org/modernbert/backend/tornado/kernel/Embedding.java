package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * The step's token rows: the embedding row of each token id, or the given inputs_embeds row where
 * the id is -1. One work-item per value; one kernel per weight layout (see {@link MatMul}).
 */
public final class Embedding {
    private Embedding() {
    }

    public static void f32(KernelContext ctx, IntArray counts, IntArray tokens, FloatArray given, FloatArray x, FloatArray table, int hidden) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(Step.TOKENS) * hidden) {
            int t = gid / hidden;
            int id = tokens.get(t * Step.TOKEN_FIELDS + Step.ID);
            x.set(gid, id < 0 ? given.get(gid) : table.get(id * hidden + gid - t * hidden));
        }
    }

    public static void bits16(KernelContext ctx, IntArray counts, IntArray tokens, FloatArray given, FloatArray x, ShortArray table,
                              int format, FloatArray pow2, int hidden) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(Step.TOKENS) * hidden) {
            int t = gid / hidden;
            int id = tokens.get(t * Step.TOKEN_FIELDS + Step.ID);
            float v;
            if (id < 0) {
                v = given.get(gid);
            } else {
                int bits = table.get(id * hidden + gid - t * hidden);
                v = format == MatMul.BF16 ? Formats.bf16(bits, pow2) : Formats.f16(bits, pow2);
            }
            x.set(gid, v);
        }
    }

    public static void q8(KernelContext ctx, IntArray counts, IntArray tokens, FloatArray given, FloatArray x, ByteArray quants,
                          FloatArray scales, int hidden) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(Step.TOKENS) * hidden) {
            int t = gid / hidden;
            int id = tokens.get(t * Step.TOKEN_FIELDS + Step.ID);
            int at = id * hidden + gid - t * hidden;
            x.set(gid, id < 0 ? given.get(gid) : quants.get(at) * scales.get(at / MatMul.Q8_BLOCK));
        }
    }
}
