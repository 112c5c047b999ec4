package org.modernbert.backend.cpu;

import jdk.incubator.vector.FloatVector;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;

/** Registers the CPU backend. Available wherever the incubating Vector API can be used. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability probe() {
        int bits;
        try {
            bits = VectorProbe.preferredBits();
        } catch (LinkageError | RuntimeException e) {
            return Availability.unavailable("the Java Vector API is not usable (" + e
                    + "); run with --add-modules jdk.incubator.vector on JDK 25");
        }
        return Availability.available("Java Vector API, " + bits + "-bit vectors, "
                + Runtime.getRuntime().availableProcessors() + " cores");
    }

    @Override
    public Backend create(BackendOptions options) {
        return new CpuBackend(options);
    }

    /** Separate class so a missing jdk.incubator.vector fails here, inside the probe's try. */
    private static final class VectorProbe {
        static int preferredBits() {
            int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
            // initialises the kernels too: their BF16 path needs a short species of half that width
            if (VectorKernels.LANES != VectorKernels.S.length()) {
                throw new IllegalStateException("no " + bits / 2 + "-bit short vectors for BF16 widening");
            }
            return bits;
        }
    }
}
