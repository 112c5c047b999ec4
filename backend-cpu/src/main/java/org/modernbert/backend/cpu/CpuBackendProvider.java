package org.modernbert.backend.cpu;

import jdk.incubator.vector.FloatVector;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.backend.DeviceInfo;
import org.modernbert.api.ModernBertException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
                + Runtime.getRuntime().availableProcessors() + " cores", List.of(device(null)));
    }

    /** The one CPU device ("cpu"), with the processor's name and the Java heap limit its caches live in. */
    static DeviceInfo device(String requested) {
        if (requested != null && !requested.equals(DEVICE_ID) && !requested.equals(DEVICE_ID + ":0")) {
            throw new ModernBertException("backend cpu has no device '" + requested + "'; its only device is '" + DEVICE_ID
                    + "' (" + processorName() + ")");
        }
        return new DeviceInfo(DEVICE_ID, processorName(), Runtime.getRuntime().maxMemory());
    }

    static final String DEVICE_ID = "cpu";

    private static String processorName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the architecture is the best we know
        }
        return System.getProperty("os.arch") + " processor";
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
            if (!org.modernbert.backend.cpu.kernel.Gemm.supportsThisMachine()) {
                throw new IllegalStateException("no " + bits / 2 + "-bit short vectors for BF16 widening");
            }
            return bits;
        }
    }
}
