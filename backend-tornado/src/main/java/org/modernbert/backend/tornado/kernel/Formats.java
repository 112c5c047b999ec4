package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * Decoding of 16-bit weights inside kernels, by hand and by arithmetic only: the PoCL device has no
 * fp16 type, and TornadoVM's OpenCL backend cannot compile {@code Float.intBitsToFloat} (a
 * reinterpret: "unimplemented"), so a value is its significand times a power of two read from a
 * small table ({@link #powersOfTwo}); every product is exact. TornadoVM inlines these helpers.
 */
public final class Formats {
    /**
     * Entries of {@link #powersOfTwo}: {@code pow2[e] = 2^(e - 127)} for the float exponents 1..254;
     * entry 0 holds NaN and 255 infinity (an infinity or NaN literal in a kernel does not compile).
     */
    public static final int POW2_ENTRIES = 256;
    static final int NAN = 0;
    static final int INFINITY = 255;

    private Formats() {
    }

    /** The table the decoders take, built once on the host. */
    public static FloatArray powersOfTwo() {
        FloatArray pow2 = new FloatArray(POW2_ENTRIES);
        pow2.set(NAN, Float.NaN);
        pow2.set(INFINITY, Float.POSITIVE_INFINITY);
        for (int e = 1; e < 255; e++) {
            pow2.set(e, Math.scalb(1.0f, e - 127));
        }
        return pow2;
    }

    /** BF16 bits (the low 16 of {@code bits}) to float: 8 exponent bits, 7 significand bits. */
    public static float bf16(int bits, FloatArray pow2) {
        int sign = (bits >>> 15) & 1;
        int exp = (bits >>> 7) & 0xFF;
        int mant = bits & 0x7F;
        float value;
        if (exp == 0) {
            value = mant * 9.1835496e-41f; // subnormal: mant * 2^-133 (0 where the device flushes subnormals)
        } else if (exp == 255) {
            value = mant == 0 ? pow2.get(INFINITY) : pow2.get(NAN);
        } else {
            value = (128 + mant) * 0.0078125f * pow2.get(exp);
        }
        return sign == 1 ? -value : value;
    }

    /** IEEE half-precision bits (the low 16 of {@code bits}) to float: 5 exponent bits, 10 significand bits. */
    public static float f16(int bits, FloatArray pow2) {
        int sign = (bits >>> 15) & 1;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        float value;
        if (exp == 0) {
            value = mant * 5.9604645e-8f; // subnormal: mant * 2^-24, exact
        } else if (exp == 31) {
            value = mant == 0 ? pow2.get(INFINITY) : pow2.get(NAN);
        } else {
            value = (1024 + mant) * 0.0009765625f * pow2.get(exp + 112);
        }
        return sign == 1 ? -value : value;
    }
}
