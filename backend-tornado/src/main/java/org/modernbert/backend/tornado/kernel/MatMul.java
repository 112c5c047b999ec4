package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * {@code out[t][r] (+)= W[r] . in[t] + bias[r]} over a ragged batch of {@code counts[countIdx]}
 * token rows (the tokens of every sequence of a step, back to back): one work-group per (token,
 * output row), its threads splitting the dot product and reducing it in local memory. One kernel
 * per weight layout: F32; raw 16-bit BF16 or F16 decoded here (the PoCL device has no fp16); Q8_0
 * as int8 quants plus one float scale per block of 32 (decoded on the host at load).
 * {@code accumulate} 1 adds to {@code out} (the residual); {@code hasBias} 0 ignores {@code bias}.
 * Launch {@code tokens x rows x local} work-items, local size a power of two up to {@link #MAX_LOCAL}.
 */
public final class MatMul {
    public static final int MAX_LOCAL = WorkGroups.MAX_LOCAL;
    public static final int Q8_BLOCK = 32;
    /** {@code format} of {@link #bits16}: BF16 or F16 bits. */
    public static final int BF16 = 0;
    public static final int F16 = 1;

    private MatMul() {
    }

    /** F32 weights {@code [rows x cols]}. */
    public static void f32(KernelContext ctx, IntArray counts, int countIdx, FloatArray in, int inStride, FloatArray out, int outStride,
                             FloatArray weights, FloatArray bias, int hasBias, int accumulate, int rows, int cols) {
        int group = ctx.groupIdx;
        int lid = ctx.localIdx;
        int local = ctx.localGroupSizeX;
        int t = group / rows;
        int r = group - t * rows;
        boolean live = t < counts.get(countIdx);
        float sum = 0.0f;
        if (live) {
            int x = t * inStride;
            int w = r * cols;
            for (int c = lid; c < cols; c += local) {
                sum += weights.get(w + c) * in.get(x + c);
            }
        }
        float total = WorkGroups.sum(ctx, sum);
        if (live && lid == 0) {
            store(out, t * outStride + r, total, bias, hasBias, r, accumulate);
        }
    }

    /** BF16 or F16 weights (per {@code format}) as raw 16-bit values, decoded with {@link Formats#powersOfTwo}. */
    public static void bits16(KernelContext ctx, IntArray counts, int countIdx, FloatArray in, int inStride, FloatArray out, int outStride,
                             ShortArray weights, int format, FloatArray pow2, FloatArray bias, int hasBias, int accumulate, int rows, int cols) {
        int group = ctx.groupIdx;
        int lid = ctx.localIdx;
        int local = ctx.localGroupSizeX;
        int t = group / rows;
        int r = group - t * rows;
        boolean live = t < counts.get(countIdx);
        float sum = 0.0f;
        if (live) {
            int x = t * inStride;
            int w = r * cols;
            for (int c = lid; c < cols; c += local) {
                int bits = weights.get(w + c);
                float wv = format == BF16 ? Formats.bf16(bits, pow2) : Formats.f16(bits, pow2);
                sum += wv * in.get(x + c);
            }
        }
        float total = WorkGroups.sum(ctx, sum);
        if (live && lid == 0) {
            store(out, t * outStride + r, total, bias, hasBias, r, accumulate);
        }
    }

    /** Q8_0 weights: quants {@code [rows x cols]}, scales {@code [rows x cols / 32]}. */
    public static void q8(KernelContext ctx, IntArray counts, int countIdx, FloatArray in, int inStride, FloatArray out, int outStride,
                             ByteArray quants, FloatArray scales, FloatArray bias, int hasBias, int accumulate, int rows, int cols) {
        int group = ctx.groupIdx;
        int lid = ctx.localIdx;
        int local = ctx.localGroupSizeX;
        int t = group / rows;
        int r = group - t * rows;
        boolean live = t < counts.get(countIdx);
        float sum = 0.0f;
        if (live) {
            int x = t * inStride;
            int w = r * cols;
            for (int c = lid; c < cols; c += local) {
                int at = w + c;
                sum += quants.get(at) * scales.get(at / Q8_BLOCK) * in.get(x + c);
            }
        }
        float total = WorkGroups.sum(ctx, sum);
        if (live && lid == 0) {
            store(out, t * outStride + r, total, bias, hasBias, r, accumulate);
        }
    }

    /** F32 weights. One work-item per (token, output row), no local memory: the CPU-device form of {@link #f32} (barriers are costly on PoCL). */
    public static void f32Item(KernelContext ctx, IntArray counts, int countIdx, FloatArray in, int inStride, FloatArray out, int outStride,
                             FloatArray weights, FloatArray bias, int hasBias, int accumulate, int rows, int cols) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(countIdx) * rows) {
            int t = gid / rows;
            int r = gid - t * rows;
            int x = t * inStride;
            int w = r * cols;
            float sum = 0.0f;
            for (int c = 0; c < cols; c++) {
                sum += weights.get(w + c) * in.get(x + c);
            }
            store(out, t * outStride + r, sum, bias, hasBias, r, accumulate);
        }
    }

    /** BF16 or F16 weights as raw bits. One work-item per (token, output row), no local memory: the CPU-device form of {@link #bits16} (barriers are costly on PoCL). */
    public static void bits16Item(KernelContext ctx, IntArray counts, int countIdx, FloatArray in, int inStride, FloatArray out, int outStride,
                             ShortArray weights, int format, FloatArray pow2, FloatArray bias, int hasBias, int accumulate, int rows, int cols) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(countIdx) * rows) {
            int t = gid / rows;
            int r = gid - t * rows;
            int x = t * inStride;
            int w = r * cols;
            float sum = 0.0f;
            for (int c = 0; c < cols; c++) {
                int bits = weights.get(w + c);
                float wv = format == BF16 ? Formats.bf16(bits, pow2) : Formats.f16(bits, pow2);
                sum += wv * in.get(x + c);
            }
            store(out, t * outStride + r, sum, bias, hasBias, r, accumulate);
        }
    }

    /** Q8_0 weights. One work-item per (token, output row), no local memory: the CPU-device form of {@link #q8} (barriers are costly on PoCL). */
    public static void q8Item(KernelContext ctx, IntArray counts, int countIdx, FloatArray in, int inStride, FloatArray out, int outStride,
                             ByteArray quants, FloatArray scales, FloatArray bias, int hasBias, int accumulate, int rows, int cols) {
        int gid = ctx.globalIdx;
        if (gid < counts.get(countIdx) * rows) {
            int t = gid / rows;
            int r = gid - t * rows;
            int x = t * inStride;
            int w = r * cols;
            float sum = 0.0f;
            for (int c = 0; c < cols; c++) {
                int at = w + c;
                sum += quants.get(at) * scales.get(at / Q8_BLOCK) * in.get(x + c);
            }
            store(out, t * outStride + r, sum, bias, hasBias, r, accumulate);
        }
    }

    /** {@code out[o] = y + bias[r]} (when {@code hasBias}) {@code + out[o]} (when {@code accumulate}): every kernel's epilogue. */
    private static void store(FloatArray out, int o, float y, FloatArray bias, int hasBias, int r, int accumulate) {
        float v = y;
        if (hasBias != 0) {
            v += bias.get(r);
        }
        if (accumulate != 0) {
            v += out.get(o);
        }
        out.set(o, v);
    }
}
