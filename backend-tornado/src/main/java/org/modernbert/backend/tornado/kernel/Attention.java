package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal attention over a device-resident KV cache pool, and the cache writes.
 *
 * <p>The pool holds {@code hidden} keys (or values) per slot, {@code pool[slot * hidden + i]}, and
 * each layer owns a region of slots from {@code layerSlot} on (one pool for every layer, so that
 * each layer's task graph uses, and hands on, the same two arrays). A sequence owns a range of
 * slots of each region from its base; a full-attention layer keeps position {@code p} in slot
 * {@code layerSlot + base + p}, a sliding layer in {@code layerSlot + base + p % ring}. A query at cache position {@code slot} sees the keys of
 * positions {@code first .. slot} ({@code first = slot - window + 1} on sliding layers): the ones
 * cached before the step are read from the pool, the step's own from its k/v rows. So the step's
 * keys go into the pool after attention ({@link #writeCache}), and a prefill longer than a sliding
 * ring never overwrites a key a query of the same step still needs.
 */
public final class Attention {
    /** Largest head dimension the private accumulator is sized for. */
    public static final int MAX_HEAD_DIM = 256;
    private static final float LOWEST = -3.4028235e38f;

    private Attention() {
    }

    /**
     * One work-item per (token, head): scores, an online softmax and the weighted values in one
     * pass; a second pass writes the probabilities where the sequence asked for them
     * ({@code probs[base + (head * n + i) * keys + p]}, keys = past + n; zeros where masked).
     */
    public static void attend(KernelContext ctx, IntArray counts, IntArray tokens, IntArray seqs, FloatArray q, FloatArray k,
                              FloatArray v, FloatArray kPool, FloatArray vPool, FloatArray out, FloatArray probs, int heads,
                              int headDim, int sliding, int window, int layerSlot, float scale) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(Step.TOKENS) * heads) {
            int t = gid / heads;
            int head = gid - t * heads;
            int hidden = heads * headDim;
            int s = tokens.get(t * Step.TOKEN_FIELDS + Step.SEQ);
            int slot = tokens.get(t * Step.TOKEN_FIELDS + Step.SLOT);
            int sq = s * Step.SEQ_FIELDS;
            int past = seqs.get(sq + Step.PAST);
            int offset = seqs.get(sq + Step.OFFSET);
            int base = sliding != 0 ? seqs.get(sq + Step.SLIDE_BASE) : seqs.get(sq + Step.FULL_BASE);
            int ring = seqs.get(sq + Step.RING);
            int first = 0;
            if (sliding != 0) {
                first = TornadoMath.max(0, slot - window + 1);
            }
            int layerBase = layerSlot;
            int qOff = t * hidden + head * headDim;
            float[] acc = new float[MAX_HEAD_DIM];
            for (int j = 0; j < headDim; j++) {
                acc[j] = 0.0f;
            }
            float max = LOWEST;
            float sum = 0.0f;
            int cachedEnd = TornadoMath.min(slot, past - 1);
            for (int p = first; p <= cachedEnd; p++) {
                int at = p;
                if (sliding != 0) {
                    at = p % ring;
                }
                int kOff = (layerBase + base + at) * hidden + head * headDim;
                float dot = queryKey(q, qOff, kPool, kOff, headDim);
                float score = dot * scale;
                float next = TornadoMath.max(max, score);
                float correction = TornadoMath.exp(max - next);
                float w = TornadoMath.exp(score - next);
                sum = sum * correction + w;
                for (int j = 0; j < headDim; j++) {
                    acc[j] = acc[j] * correction + w * vPool.get(kOff + j);
                }
                max = next;
            }
            for (int p = TornadoMath.max(first, past); p <= slot; p++) {
                int kOff = (offset + p - past) * hidden + head * headDim;
                float dot = queryKey(q, qOff, k, kOff, headDim);
                float score = dot * scale;
                float next = TornadoMath.max(max, score);
                float correction = TornadoMath.exp(max - next);
                float w = TornadoMath.exp(score - next);
                sum = sum * correction + w;
                for (int j = 0; j < headDim; j++) {
                    acc[j] = acc[j] * correction + w * v.get(kOff + j);
                }
                max = next;
            }
            float inv = 1.0f / sum;
            for (int j = 0; j < headDim; j++) {
                out.set(qOff + j, acc[j] * inv);
            }
            int probsBase = seqs.get(sq + Step.PROBS);
            if (probsBase >= 0) {
                int n = seqs.get(sq + Step.LENGTH);
                int keys = past + n;
                int row = probsBase + (head * n + slot - past) * keys;
                for (int p = 0; p < first; p++) {
                    probs.set(row + p, 0.0f);
                }
                for (int p = slot + 1; p < keys; p++) {
                    probs.set(row + p, 0.0f);
                }
                for (int p = first; p <= cachedEnd; p++) {
                    int at = p;
                    if (sliding != 0) {
                        at = p % ring;
                    }
                    int kOff = (layerBase + base + at) * hidden + head * headDim;
                    float dot = queryKey(q, qOff, kPool, kOff, headDim);
                    probs.set(row + p, TornadoMath.exp(dot * scale - max) * inv);
                }
                for (int p = TornadoMath.max(first, past); p <= slot; p++) {
                    int kOff = (offset + p - past) * hidden + head * headDim;
                    float dot = queryKey(q, qOff, k, kOff, headDim);
                    probs.set(row + p, TornadoMath.exp(dot * scale - max) * inv);
                }
            }
        }
    }

    /**
     * The step's keys and values into the pool, one work-item per (token, value). A sliding ring
     * shorter than the step keeps only the last {@code ring} positions (earlier ones would be
     * overwritten anyway; skipping them keeps the writes free of races).
     */
    public static void writeCache(KernelContext ctx, IntArray counts, IntArray tokens, IntArray seqs, FloatArray k, FloatArray v,
                                  FloatArray kPool, FloatArray vPool, int sliding, int layerSlot, int hidden) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(Step.TOKENS) * hidden) {
            int t = gid / hidden;
            int i = gid - t * hidden;
            int s = tokens.get(t * Step.TOKEN_FIELDS + Step.SEQ);
            int slot = tokens.get(t * Step.TOKEN_FIELDS + Step.SLOT);
            int sq = s * Step.SEQ_FIELDS;
            int at = seqs.get(sq + Step.FULL_BASE) + slot;
            boolean keep = true;
            if (sliding != 0) {
                int ring = seqs.get(sq + Step.RING);
                keep = slot >= seqs.get(sq + Step.PAST) + seqs.get(sq + Step.LENGTH) - ring;
                at = seqs.get(sq + Step.SLIDE_BASE) + slot % ring;
            }
            if (keep) {
                int to = (layerSlot + at) * hidden + i;
                kPool.set(to, k.get(gid));
                vPool.set(to, v.get(gid));
            }
        }
    }

    /**
     * A fork: copies {@code counts[COPY_FULL]} (or {@code COPY_SLIDE}) slots of this layer's region
     * from the source range to the destination range, keys and values; one work-item per value. It
     * runs first in every layer's graph, and copies nothing ({@code 0} slots) in an ordinary step.
     */
    public static void copySlots(KernelContext ctx, IntArray counts, FloatArray kPool, FloatArray vPool, int sliding, int layerSlot,
                                 int hidden) {
        int gid = ctx.globalIdx;
        int count = counts.get(Step.COPY_FULL);
        int from = counts.get(Step.FULL_FROM);
        int to = counts.get(Step.FULL_TO);
        if (sliding != 0) {
            count = counts.get(Step.COPY_SLIDE);
            from = counts.get(Step.SLIDE_FROM);
            to = counts.get(Step.SLIDE_TO);
        }
        if (gid < count * hidden) {
            int src = (layerSlot + from) * hidden + gid;
            int dst = (layerSlot + to) * hidden + gid;
            kPool.set(dst, kPool.get(src));
            vPool.set(dst, vPool.get(src));
        }
    }

    /** {@code q[qOff ..] . keys[kOff ..]} over {@code n} values (a query against a key of the pool or of the step). */
    private static float queryKey(FloatArray q, int qOff, FloatArray keys, int kOff, int n) {
        float sum = 0.0f;
        for (int j = 0; j < n; j++) {
            sum += q.get(qOff + j) * keys.get(kOff + j);
        }
        return sum;
    }
}
