package org.modernbert.benchmarks;

import org.modernbert.backend.cpu.kernel.Gemm;
import org.modernbert.backend.cpu.kernel.PackedMatrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The packed GEMM kernel alone, on one thread: an Ettin-150M Q/K/V-shaped matrix (2304 x 768) over
 * {@code tokens} tokens. Score: microseconds per call; GFLOP/s = {@code 2 * tokens * 2304 * 768 / (us * 1e3)}.
 * One token streams the 7 MB (F32) / 3.5 MB (BF16) / 1.9 MB (Q8_0) matrix: a bandwidth figure; 512
 * tokens reuse each weight 512 times: an FMA-throughput figure.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmBenchmark {
    static final int IN = 768;
    static final int OUT = 2304;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"F32", "BF16", "Q8_0"})
    public PackedMatrix.Format format;

    @Param({"1", "8", "512"})
    public int tokens;

    private PackedMatrix matrix;
    private float[] x;
    private float[] y;
    private final float[] scratch = new float[Gemm.SCRATCH_FLOATS];

    @Setup
    public void setup() {
        Random rnd = new Random(3);
        Arena arena = Arena.ofAuto();
        MemorySegment src;
        switch (format) {
            case F32 -> {
                src = arena.allocate((long) OUT * IN * 4);
                for (long i = 0; i < (long) OUT * IN; i++) {
                    src.set(F32_LE, i * 4, (float) rnd.nextGaussian() * 0.02f);
                }
            }
            case BF16 -> {
                src = arena.allocate((long) OUT * IN * 2);
                for (long i = 0; i < (long) OUT * IN; i++) {
                    src.set(I16_LE, i * 2, (short) (Float.floatToIntBits((float) rnd.nextGaussian() * 0.02f) >>> 16));
                }
            }
            default -> {
                long blocks = (long) OUT * IN / 32;
                src = arena.allocate(blocks * 34);
                for (long b = 0; b < blocks; b++) {
                    src.set(I16_LE, b * 34, Float.floatToFloat16(0.02f / 127));
                    for (int c = 0; c < 32; c++) {
                        src.set(ValueLayout.JAVA_BYTE, b * 34 + 2 + c, (byte) (rnd.nextInt(255) - 127));
                    }
                }
            }
        }
        matrix = PackedMatrix.pack(src, format, OUT, IN, null);
        x = new float[tokens * IN];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        y = new float[tokens * OUT];
    }

    @Benchmark
    public float[] multiply() {
        Gemm.multiply(matrix, x, 0, IN, tokens, y, 0, OUT, 0, matrix.pairs(), Gemm.Mode.STORE, null, scratch);
        return y;
    }
}
