package org.modernbert.api.tensor;

/**
 * How the values of a weight tensor are stored: a closed set. Plain formats hold one value per
 * element; block-quantized formats hold blocks of {@link #blockSize()} values along the last
 * dimension, each {@link #blockBytes()} long, so a tensor's byte size is {@code rows x blocks per
 * row x block bytes}, not {@code elements x element size}. All little-endian.
 */
public enum WeightFormat {
    /** IEEE float32. */
    F32(1, 4),
    /** IEEE float16. */
    F16(1, 2),
    /** bfloat16: the upper half of a float32. */
    BF16(1, 2),
    /**
     * GGML's Q8_0: blocks of 32 values, each an F16 scale {@code d} followed by 32 signed bytes
     * {@code q}; value {@code i} of a block is {@code d * q[i]}. 34 bytes per 32 values.
     */
    Q8_0(32, 34);

    private final int blockSize;
    private final int blockBytes;

    WeightFormat(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Values per block (1 for plain formats). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * Whether a tensor of this shape can be stored in this format: a block format needs a last
     * dimension that is a multiple of its block size (blocks never straddle rows).
     */
    public boolean fits(long[] shape) {
        return blockSize == 1 || (shape.length > 0 && shape[shape.length - 1] % blockSize == 0);
    }

    /** Bytes of a tensor of this shape; the shape must {@link #fits fit}. */
    public long byteSize(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (!fits(shape)) {
            throw new IllegalArgumentException(this + " stores blocks of " + blockSize
                    + " values along the last dimension, which a shape of " + java.util.Arrays.toString(shape) + " does not divide into");
        }
        return n / blockSize * blockBytes;
    }

    /** The format of a safetensors dtype name ({@code F32}, {@code F16}, {@code BF16}); null for others. */
    public static WeightFormat fromSafetensorsName(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "F16" -> F16;
            case "BF16" -> BF16;
            default -> null;
        };
    }

    /** Parses a user-facing name, case-insensitively ({@code q8_0}, {@code bf16}, ...); null when unknown. */
    public static WeightFormat fromName(String name) {
        for (WeightFormat f : values()) {
            if (f.name().equalsIgnoreCase(name.trim())) {
                return f;
            }
        }
        return null;
    }
}
