package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static org.modernbert.backend.cpu.kernel.Lanes.F;

/**
 * exp(x) for x <= 0 in float vectors, from IEEE operations only, so the interpreter and every JIT
 * tier give the same bits: {@code lanewise(EXP)} is an intrinsic whose rounding differs from its Java
 * fallback, which made a kernel's result depend on whether it had been compiled yet. Hot loops
 * write these operations out (a vector returned from a call C2 does not inline is boxed) with these
 * constants; {@link #exp} is the reference and serves the cold paths.
 * <p>
 * Cephes expf: x = n ln2 + r, |r| <= ln2/2, exp(r) by a degree-7 polynomial, 2^n put together in the
 * exponent bits. ~1 ulp; below -87.3 it clamps (the result is ~1e-38, i.e. 0 where it is used).
 */
final class VectorExp {
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits. */
    static final float SHIFTER = 12582912f;
    static final int SHIFTER_BITS = 0x4B400000;
    static final float E0 = 1.9875691500E-4f;
    static final float E1 = 1.3981999507E-3f;
    static final float E2 = 8.3334519073E-3f;
    static final float E3 = 4.1665795894E-2f;
    static final float E4 = 1.6666665459E-1f;
    static final float E5 = 5.0000001201E-1f;

    private VectorExp() {
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(-87.3f);
        FloatVector t = x.fma(LOG2E, SHIFTER);
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector y = r.fma(E0, E1);
        y = y.fma(r, FloatVector.broadcast(F, E2));
        y = y.fma(r, FloatVector.broadcast(F, E3));
        y = y.fma(r, FloatVector.broadcast(F, E4));
        y = y.fma(r, FloatVector.broadcast(F, E5));
        y = y.fma(r.mul(r), r).add(1f);
        return y.mul(t.reinterpretAsInts().sub(SHIFTER_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
    }
}
