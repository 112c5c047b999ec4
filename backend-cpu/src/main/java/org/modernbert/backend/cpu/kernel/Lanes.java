package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** The vector shape every kernel uses, and the one lane reduction they share. */
public final class Lanes {
    /** The preferred float species: 16 lanes with AVX-512, 8 with AVX2. */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    public static final int LANES = F.length();

    /** {@code ROTATE[k]} moves lane {@code i + (LANES >> (k + 1))} onto lane {@code i} (wrapping). */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] ROTATE = new VectorShuffle[Integer.numberOfTrailingZeros(LANES)];

    static {
        for (int k = 0; k < ROTATE.length; k++) {
            int half = LANES >> (k + 1);
            ROTATE[k] = VectorShuffle.fromOp(F, i -> (i + half) % LANES);
        }
    }

    private Lanes() {
    }

    /**
     * Lane sum in a fixed order (pairwise halves). {@code reduceLanes(ADD)} leaves the order open, and
     * the interpreter and the JIT then round differently, so the same input could give slightly
     * different results before and after warm-up; this keeps every run bit-for-bit reproducible.
     */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> rotate : ROTATE) {
            v = v.add(v.rearrange(rotate));
        }
        return v.lane(0);
    }
}
