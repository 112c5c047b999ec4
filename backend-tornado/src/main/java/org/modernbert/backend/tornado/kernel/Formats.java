package org.modernbert.backend.tornado.kernel;

/**
 * Decoding of 16-bit weights inside kernels, by hand: the PoCL device has no fp16 type, and BF16 is
 * just the upper half of a float. TornadoVM inlines these static helpers into the kernels.
 */
public final class Formats {
    private Formats() {
    }

    /** BF16 bits (the low 16 of {@code bits}) to float: they are the float's upper half. */
    public static float bf16(int bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** IEEE half-precision bits (the low 16 of {@code bits}) to float, subnormals, infinities and NaN included. */
    public static float f16(int bits) {
        int sign = (bits >>> 15) & 1;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        float value;
        if (exp == 0) {
            value = mant * 5.9604645e-8f; // subnormal: mant * 2^-24, exact in float
            if (sign == 1) {
                value = -value;
            }
        } else if (exp == 31) {
            value = Float.intBitsToFloat((sign << 31) | 0x7F800000 | (mant << 13));
        } else {
            value = Float.intBitsToFloat((sign << 31) | ((exp + 112) << 23) | (mant << 13));
        }
        return value;
    }
}
