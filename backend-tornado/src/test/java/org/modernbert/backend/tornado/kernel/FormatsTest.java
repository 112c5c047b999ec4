package org.modernbert.backend.tornado.kernel;

import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The 16-bit decoders, exhaustively against the JDK (plain Java: they are ordinary static methods). */
class FormatsTest {
    @Test
    void everyHalfAndBfloatBitPatternDecodesLikeTheJdk() {
        FloatArray pow2 = Formats.powersOfTwo();
        for (int bits = 0; bits < 65536; bits++) {
            float want = Float.float16ToFloat((short) bits);
            float got = Formats.f16(bits, pow2);
            if (Float.isNaN(want)) {
                assertEquals(true, Float.isNaN(got), "f16 " + Integer.toHexString(bits));
            } else {
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "f16 " + Integer.toHexString(bits));
            }
            float bf = Float.intBitsToFloat(bits << 16);
            float gotBf = Formats.bf16((short) bits, pow2);
            if (Float.isNaN(bf)) {
                assertEquals(true, Float.isNaN(gotBf), "bf16 " + Integer.toHexString(bits));
            } else {
                assertEquals(Float.floatToRawIntBits(bf), Float.floatToRawIntBits(gotBf), "bf16 " + Integer.toHexString(bits));
            }
        }
    }
}
