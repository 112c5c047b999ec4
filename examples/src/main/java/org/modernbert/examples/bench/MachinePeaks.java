package org.modernbert.examples.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.function.IntToDoubleFunction;

/**
 * What the machine can do at best, measured in this process with the Vector API on a given number of
 * threads: the read bandwidth of memory (a STREAM-like sum over a buffer far larger than the caches) and
 * the peak FMA rate (a loop over registers only). The figures a model's speed is compared with.
 */
public final class MachinePeaks {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Independent FMA chains per thread: enough that FMA latency (4-5 cycles, 2 ports) does not bind. */
    private static final int FMA_CHAINS = 12;
    /** Loop iterations of one FMA pass per thread (each does {@link #FMA_CHAINS} vector FMAs). */
    private static final long FMA_ITERATIONS = 20_000_000;

    private static volatile double sink;

    private MachinePeaks() {
    }

    /**
     * The buffer {@link #readBandwidth} reads: 8 times the largest CPU cache Linux reports (256 MiB where it
     * reports none or less), at most 1 GiB and a quarter of the available memory (at least 64 MiB). Large
     * enough that the reads come from memory, small enough that committing its pages stays quick.
     */
    public static long bandwidthBufferBytes() {
        long bytes = Math.max(256L << 20, 8 * SystemInfo.largestCacheBytes());
        bytes = Math.min(bytes, 1L << 30);
        long available = SystemInfo.availableMemoryBytes();
        if (available > 0) {
            bytes = Math.min(bytes, available / 4);
        }
        bytes = Math.max(bytes, 64L << 20);
        return bytes / (1 << 20) * (1 << 20);
    }

    /**
     * Read bandwidth in GB/s (10^9 bytes per second): {@code threads} threads each sum their share of a
     * {@code bytes}-long off-heap buffer with vector loads; the best of {@code rounds} rounds 200 ms apart
     * (on a shared machine a neighbour's burst can halve one round) of {@code passes} timed passes each,
     * after one untimed pass (the JIT and page faults).
     */
    public static double readBandwidth(int threads, long bytes, int passes, int rounds) {
        long vectorBytes = SPECIES.vectorByteSize();
        long chunk = bytes / threads / (vectorBytes * 4) * (vectorBytes * 4);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(chunk * threads, 64);
            buffer.fill((byte) 1); // real pages: an untouched page may read as the shared zero page, from cache
            warmUp(() -> sum(buffer.asSlice(0, vectorBytes * 4 * 256)));
            double best = Double.MAX_VALUE;
            for (int round = 0; round < rounds; round++) {
                if (round > 0) {
                    pause();
                }
                best = Math.min(best, bestOf(passes + 1, threads, t -> sum(buffer.asSlice(t * chunk, chunk))));
            }
            return chunk * threads / best / 1e9;
        }
    }

    /**
     * Peak FMA rate in GFLOP/s over {@code threads} threads running a register-only FMA loop at once,
     * counting 2 FLOPs per lane of each vector FMA; the best of {@code passes} timed passes after one untimed.
     */
    public static double fmaPeak(int threads, int passes) {
        warmUp(() -> fmaLoop(1_000));
        double best = bestOf(passes + 1, threads, t -> fmaLoop(FMA_ITERATIONS));
        double flops = 2.0 * SPECIES.length() * FMA_CHAINS * FMA_ITERATIONS * threads;
        return flops / best / 1e9;
    }

    /** Vector width the peaks use, in bits. */
    public static int vectorBits() {
        return SPECIES.vectorBitSize();
    }

    /**
     * Runs {@code work} on {@code threads} platform threads released together, {@code runs} times; returns
     * the shortest time in seconds of a run (from the first thread's start to the last thread's end, as the
     * threads themselves read the clock), ignoring the first run.
     */
    private static double bestOf(int runs, int threads, IntToDoubleFunction work) {
        double best = Double.MAX_VALUE;
        for (int run = 0; run < runs; run++) {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> workers = new ArrayList<>(threads);
            double[] results = new double[threads];
            long[] begins = new long[threads];
            long[] ends = new long[threads];
            for (int t = 0; t < threads; t++) {
                int index = t;
                workers.add(Thread.ofPlatform().daemon().start(() -> {
                    await(start);
                    begins[index] = System.nanoTime();
                    results[index] = work.applyAsDouble(index);
                    ends[index] = System.nanoTime();
                }));
            }
            for (Thread w : workers) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while measuring", e);
                }
            }
            double total = 0;
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (int t = 0; t < threads; t++) {
                total += results[t];
                first = Math.min(first, begins[t]);
                last = Math.max(last, ends[t]);
            }
            sink += total;
            if (run > 0) {
                best = Math.min(best, (last - first) / 1e9);
            }
        }
        return best;
    }

    /**
     * Calls a kernel on short inputs until the JIT has compiled it with the vector intrinsics: the first
     * long call would otherwise run interpreted (the Vector API boxes every vector there: minutes, not ms).
     */
    private static void warmUp(java.util.function.DoubleSupplier kernel) {
        double total = 0;
        for (int i = 0; i < 20_000; i++) {
            total += kernel.getAsDouble();
        }
        sink += total;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException("a measuring thread failed", e);
        }
    }

    /** Sums a segment of floats with four vector accumulators (its length a multiple of four vectors). */
    static double sum(MemorySegment s) {
        long step = SPECIES.vectorByteSize();
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = FloatVector.zero(SPECIES);
        FloatVector a2 = FloatVector.zero(SPECIES);
        FloatVector a3 = FloatVector.zero(SPECIES);
        ByteOrder order = ByteOrder.nativeOrder();
        for (long i = 0, n = s.byteSize(); i < n; i += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(SPECIES, s, i, order));
            a1 = a1.add(FloatVector.fromMemorySegment(SPECIES, s, i + step, order));
            a2 = a2.add(FloatVector.fromMemorySegment(SPECIES, s, i + 2 * step, order));
            a3 = a3.add(FloatVector.fromMemorySegment(SPECIES, s, i + 3 * step, order));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** {@link #FMA_CHAINS} independent chains of {@code acc = acc * m + c}, in registers. */
    static double fmaLoop(long iterations) {
        FloatVector m = FloatVector.broadcast(SPECIES, 0.999999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-6f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, 0.1f);
        FloatVector a1 = FloatVector.broadcast(SPECIES, 0.2f);
        FloatVector a2 = FloatVector.broadcast(SPECIES, 0.3f);
        FloatVector a3 = FloatVector.broadcast(SPECIES, 0.4f);
        FloatVector a4 = FloatVector.broadcast(SPECIES, 0.5f);
        FloatVector a5 = FloatVector.broadcast(SPECIES, 0.6f);
        FloatVector a6 = FloatVector.broadcast(SPECIES, 0.7f);
        FloatVector a7 = FloatVector.broadcast(SPECIES, 0.8f);
        FloatVector a8 = FloatVector.broadcast(SPECIES, 0.9f);
        FloatVector a9 = FloatVector.broadcast(SPECIES, 1.0f);
        FloatVector a10 = FloatVector.broadcast(SPECIES, 1.1f);
        FloatVector a11 = FloatVector.broadcast(SPECIES, 1.2f);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return s.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
