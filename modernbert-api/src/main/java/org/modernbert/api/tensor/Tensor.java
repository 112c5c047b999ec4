package org.modernbert.api.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named, read-only, row-major weight tensor whose bytes live in a (usually memory-mapped)
 * segment, little-endian, in one {@link WeightFormat}. The segment's lifetime is the owning
 * model's arena.
 */
public record Tensor(String name, WeightFormat format, long[] shape, MemorySegment data) {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        shape = shape.clone();
        if (!format.fits(shape)) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " cannot be stored as "
                    + format + " (its last dimension must be a multiple of " + format.blockSize() + ")");
        }
        long expected = format.byteSize(shape);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for shape "
                    + Arrays.toString(shape) + " in " + format + " (expected " + expected + ")");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** One element widened to float (scalar path: for tests, small vectors, lookups and references). */
    public float getFloat(long index) {
        return switch (format) {
            case F32 -> data.get(F32, index * 4);
            case F16 -> Float.float16ToFloat(data.get(I16, index * 2));
            case BF16 -> Float.intBitsToFloat((data.get(I16, index * 2) & 0xFFFF) << 16);
            case Q8_0 -> {
                int n = WeightFormat.Q8_0.blockSize();
                long block = index / n * WeightFormat.Q8_0.blockBytes();
                yield Float.float16ToFloat(data.get(I16, block)) * data.get(ValueLayout.JAVA_BYTE, block + 2 + index % n);
            }
        };
    }

    /** All elements widened to a new float array; meant for small tensors (norms, biases). */
    public float[] toFloatArray() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor " + name + " has " + n + " elements: too many for a float[]");
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " " + format + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.name.equals(name) && t.format == format && Arrays.equals(t.shape, shape)
                && t.data.equals(data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
