package org.modernbert.backend.tornado;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.backend.tornado.kernel.MatMul;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A weight matrix {@code [rows x cols]} in the device layout its kernel reads: F32 as floats, BF16
 * and F16 as their raw 16 bits, Q8_0 split into int8 quants and one float scale per block (the F16
 * scales decoded here, once). Exactly one of {@code f32}, {@code half}, {@code quants} is set.
 */
record DeviceMatrix(WeightFormat format, FloatArray f32, ShortArray half, ByteArray quants, FloatArray scales, FloatArray bias,
                    int rows, int cols) {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * With -Dmodernbert.tornado.widen16=true, BF16 and F16 matrices are widened to F32 at load instead
     * of decoded in the kernels (twice the device memory; for measuring which is faster on a device).
     */
    static final boolean WIDEN_16 = Boolean.getBoolean("modernbert.tornado.widen16");

    static DeviceMatrix of(Tensor t, Tensor bias, int rows, int cols) {
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new ModernBertException("tensor " + t.name() + " has shape " + Arrays.toString(t.shape()) + ", expected [" + rows + ", "
                    + cols + "]");
        }
        FloatArray b = bias == null ? null : FloatArray.fromArray(TornadoModelExecutor.vector(bias, rows));
        MemorySegment data = t.data();
        if (WIDEN_16 && (t.format() == WeightFormat.BF16 || t.format() == WeightFormat.F16)) {
            FloatArray a = new FloatArray(rows * cols);
            for (int i = 0; i < rows * cols; i++) {
                a.set(i, t.getFloat(i));
            }
            return new DeviceMatrix(WeightFormat.F32, a, null, null, null, b, rows, cols);
        }
        return switch (t.format()) {
            case F32 -> {
                FloatArray a = new FloatArray(rows * cols);
                MemorySegment.copy(data, 0, a.getSegment(), 0, data.byteSize());
                yield new DeviceMatrix(t.format(), a, null, null, null, b, rows, cols);
            }
            case BF16, F16 -> {
                ShortArray a = new ShortArray(rows * cols);
                MemorySegment.copy(data, 0, a.getSegment(), 0, data.byteSize());
                yield new DeviceMatrix(t.format(), null, a, null, null, b, rows, cols);
            }
            case Q8_0 -> {
                int n = rows * cols;
                int block = WeightFormat.Q8_0.blockSize();
                ByteArray q = new ByteArray(n);
                FloatArray s = new FloatArray(n / block);
                for (int i = 0; i < n / block; i++) {
                    long at = (long) i * WeightFormat.Q8_0.blockBytes();
                    s.set(i, Float.float16ToFloat(data.get(I16, at)));
                    MemorySegment.copy(data, at + 2, q.getSegment(), (long) i * block, block);
                }
                yield new DeviceMatrix(t.format(), null, null, q, s, b, rows, cols);
            }
        };
    }

    /** The 16-bit decoder {@link MatMul#bits16} and friends take. */
    int halfFormat() {
        return format == WeightFormat.BF16 ? MatMul.BF16 : MatMul.F16;
    }

    long bytes() {
        long n = (long) rows * cols;
        long b = bias == null ? 0 : 4L * rows;
        return b + switch (format) {
            case F32 -> 4 * n;
            case BF16, F16 -> 2 * n;
            case Q8_0 -> n + 4 * (n / WeightFormat.Q8_0.blockSize());
        };
    }

    /** The device arrays, for a task graph's one-time transfer. */
    Object[] arrays() {
        return Arrays.stream(new Object[] {f32, half, quants, scales, bias}).filter(o -> o != null).toArray();
    }
}
