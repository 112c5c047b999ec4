package org.modernbert.benchmarks;

import jdk.incubator.vector.FloatVector;
import org.modernbert.backend.cpu.kernel.Attention;
import org.modernbert.backend.cpu.kernel.Lanes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Attention of all 12 heads (x 64 dims, hidden 768) of one sequence on one thread, called directly
 * (the kernel package is not exported, but the benchmarks jar runs on the class path):
 * {@code new} is {@link Attention} on its per-head cache layout, {@code old} the per-key loop the
 * executor ran before it (a dot with a full lane sum, Math.exp in double, an axpy per key, keys
 * {@code hidden} floats apart in a {@code [slot][hidden]} cache), kept here for the comparison.
 * Shapes: prefill of 512 queries from an empty cache on a full layer and on a sliding (window 128)
 * layer, and one decode query against 512 or 2048 cached keys of a full layer. Score: microseconds
 * per call; the FLOPs are about {@code 4 * 64 * 12 * (query, key) pairs}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AttentionBenchmark {
    static final int HEADS = 12;
    static final int HEAD_DIM = 64;
    static final int HIDDEN = HEADS * HEAD_DIM;

    @Param({"prefill512", "prefill512sliding128", "decode512", "decode2048"})
    public String shape;

    @Param({"old", "new"})
    public String impl;

    private int len;
    private int n;
    private int window;
    private final float scale = (float) (1 / Math.sqrt(HEAD_DIM));
    // the step's rows [n x hidden], as the executor holds them
    private float[] q;
    private float[] k;
    private float[] v;
    private float[] out;
    // old layout: [slot][hidden]
    private float[] oldKeys;
    private float[] oldValues;
    private int oldSlots;
    private float[] scores;
    // new layout: per head
    private float[][] keys;
    private float[][] values;
    private int ring;
    private Attention.Scratch scratch;

    @Setup
    public void setup() {
        switch (shape) {
            case "prefill512" -> { len = 0; n = 512; window = 0; }
            case "prefill512sliding128" -> { len = 0; n = 512; window = 128; }
            case "decode512" -> { len = 511; n = 1; window = 0; }
            case "decode2048" -> { len = 2047; n = 1; window = 0; }
            default -> throw new IllegalArgumentException(shape);
        }
        Random rnd = new Random(3);
        q = random(rnd, n * HIDDEN);
        k = random(rnd, n * HIDDEN);
        v = random(rnd, n * HIDDEN);
        out = new float[n * HIDDEN];
        int total = len + n;
        oldSlots = window > 0 ? window : total;
        oldKeys = random(rnd, oldSlots * HIDDEN);
        oldValues = random(rnd, oldSlots * HIDDEN);
        scores = new float[Math.max(total, 64)];
        ring = window > 0 ? Attention.ringSlots(window, 0, 8192) : 0;
        int slots = window > 0 ? ring : Attention.roundUp(total);
        keys = new float[HEADS][slots * HEAD_DIM];
        values = new float[HEADS][slots * HEAD_DIM];
        scratch = new Attention.Scratch(HEAD_DIM);
        // the cached positions (decode): the same keys the old layout holds
        for (int h = 0; h < HEADS && len > 0; h++) {
            Attention.write(oldKeys, oldValues, h * HEAD_DIM, HIDDEN, len, 0, HEAD_DIM, ring, keys[h], values[h]);
        }
    }

    private static float[] random(Random rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    @Benchmark
    public void attention(Blackhole bh) {
        if (impl.equals("old")) {
            for (int h = 0; h < HEADS; h++) {
                oldHead(h);
            }
        } else {
            for (int h = 0; h < HEADS; h++) {
                newHead(h);
            }
        }
        bh.consume(out);
    }

    private void newHead(int head) {
        int col = head * HEAD_DIM;
        if (window == 0) {
            Attention.write(k, v, col, HIDDEN, n, len, HEAD_DIM, 0, keys[head], values[head]);
        }
        for (int t = 0; t < n; t += Attention.BLOCK) {
            int count = Math.min(Attention.BLOCK, n - t);
            int row = t * HIDDEN + col;
            if (window > 0) {
                Attention.write(k, v, row, HIDDEN, count, len + t, HEAD_DIM, ring, keys[head], values[head]);
            }
            Attention.attend(q, row, HIDDEN, len + t, count, window, keys[head], values[head], ring, HEAD_DIM, scale,
                    out, row, HIDDEN, null, 0, 0, scratch);
        }
    }

    /** The executor's attention before the kernel, for one (sequence, head) unit. */
    private void oldHead(int head) {
        int hb = head * HEAD_DIM;
        float[] sc = scores;
        for (int t = 0; t < n; t++) {
            int p = len + t;
            int lo = window > 0 ? Math.max(0, p - window + 1) : 0;
            int qi = t * HIDDEN + hb;
            float max = Float.NEGATIVE_INFINITY;
            for (int kp = lo; kp <= p; kp++) {
                float dotp = kp < len
                        ? dot(q, qi, oldKeys, slot(kp) * HIDDEN + hb, HEAD_DIM)
                        : dot(q, qi, k, (kp - len) * HIDDEN + hb, HEAD_DIM);
                float sv = dotp * scale;
                sc[kp - lo] = sv;
                max = Math.max(max, sv);
            }
            double sum = 0;
            for (int j = 0; j <= p - lo; j++) {
                double e = Math.exp(sc[j] - max);
                sc[j] = (float) e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int oi = t * HIDDEN + hb;
            Arrays.fill(out, oi, oi + HEAD_DIM, 0f);
            for (int kp = lo; kp <= p; kp++) {
                float wgt = sc[kp - lo] * inv;
                if (kp < len) {
                    axpy(wgt, oldValues, slot(kp) * HIDDEN + hb, out, oi, HEAD_DIM);
                } else {
                    axpy(wgt, v, (kp - len) * HIDDEN + hb, out, oi, HEAD_DIM);
                }
            }
        }
        int from = Math.max(len, len + n - oldSlots);
        for (int p = from; p < len + n; p++) {
            int src = (p - len) * HIDDEN + hb;
            int dst = slot(p) * HIDDEN + hb;
            System.arraycopy(k, src, oldKeys, dst, HEAD_DIM);
            System.arraycopy(v, src, oldValues, dst, HEAD_DIM);
        }
    }

    private int slot(int position) {
        return position < oldSlots ? position : position % oldSlots;
    }

    private static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(Lanes.F);
        int upper = Lanes.F.loopBound(n);
        int i = 0;
        for (; i < upper; i += Lanes.LANES) {
            acc = FloatVector.fromArray(Lanes.F, a, aOff + i).fma(FloatVector.fromArray(Lanes.F, b, bOff + i), acc);
        }
        float s = Lanes.sum(acc);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    private static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(Lanes.F, alpha);
        int upper = Lanes.F.loopBound(n);
        int i = 0;
        for (; i < upper; i += Lanes.LANES) {
            FloatVector.fromArray(Lanes.F, x, xOff + i).fma(va, FloatVector.fromArray(Lanes.F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }
}
