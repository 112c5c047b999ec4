package org.modernbert.benchmarks;

import org.modernbert.api.config.Activation;
import org.modernbert.backend.cpu.kernel.GatedActivation;
import org.modernbert.backend.cpu.kernel.LayerNorm;
import org.modernbert.backend.cpu.kernel.Rope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The element-wise kernels of a 512-token prefill at Ettin-150M width, one thread: LayerNorm of
 * 512 x 768, RoPE on q and k of 512 x 12 heads x 64, GeGLU of 512 x 1152. {@code old*} are the
 * scalar double loops the CPU backend ran before these kernels, copied here (the old classes are
 * gone); {@code new*} call the
 * {@code org.modernbert.backend.cpu.kernel} classes. Score: microseconds per whole matrix.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ElementwiseBenchmark {
    static final int TOKENS = 512;
    static final int HIDDEN = 768;
    static final int HEADS = 12;
    static final int HEAD_DIM = 64;
    static final int INTERMEDIATE = 1152;
    static final double EPS = 1e-5;

    private float[] x;
    private float[] normOut;
    private float[] weight;
    private float[] bias;
    private float[] q;
    private float[] k;
    private int[] positions;
    private Rope rope;
    private OldRope oldRope;
    private float[] up;
    private float[] gated;

    @Setup
    public void setup() {
        Random rnd = new Random(1);
        x = gaussian(rnd, TOKENS * HIDDEN, 1.0);
        normOut = new float[TOKENS * HIDDEN];
        weight = gaussian(rnd, HIDDEN, 0.2);
        bias = gaussian(rnd, HIDDEN, 0.1);
        for (int i = 0; i < HIDDEN; i++) {
            weight[i] += 1f;
        }
        q = gaussian(rnd, TOKENS * HIDDEN, 1.0);
        k = gaussian(rnd, TOKENS * HIDDEN, 1.0);
        positions = new int[TOKENS];
        for (int t = 0; t < TOKENS; t++) {
            positions[t] = t;
        }
        rope = new Rope(160000.0, HEAD_DIM);
        rope.ensure(TOKENS);
        oldRope = new OldRope(160000.0, HEAD_DIM);
        oldRope.ensure(TOKENS);
        up = gaussian(rnd, TOKENS * 2 * INTERMEDIATE, 1.0);
        gated = new float[TOKENS * INTERMEDIATE];
    }

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (scale * rnd.nextGaussian());
        }
        return a;
    }

    // ---------------------------------------------------------------- LayerNorm 512 x 768

    @Benchmark
    public float[] layerNormOld() {
        for (int t = 0; t < TOKENS; t++) {
            oldLayerNorm(x, t * HIDDEN, HIDDEN, weight, bias, EPS, normOut, t * HIDDEN);
        }
        return normOut;
    }

    @Benchmark
    public float[] layerNormNew() {
        LayerNorm.apply(x, 0, normOut, 0, HIDDEN, weight, bias, EPS, 0, TOKENS);
        return normOut;
    }

    // ---------------------------------------------------------------- RoPE q and k, 512 x 12 x 64

    @Benchmark
    public float[] ropeOld() {
        for (int t = 0; t < TOKENS; t++) {
            oldRope.apply(q, t * HIDDEN, HEADS, positions[t]);
            oldRope.apply(k, t * HIDDEN, HEADS, positions[t]);
        }
        return q;
    }

    @Benchmark
    public float[] ropeNew() {
        rope.apply(q, k, HIDDEN, HEADS, positions, 0, TOKENS);
        return q;
    }

    // ---------------------------------------------------------------- GeGLU 512 x 1152

    @Benchmark
    public float[] gegluOld() {
        for (int t = 0; t < TOKENS; t++) {
            oldGatedGelu(up, t * 2 * INTERMEDIATE, INTERMEDIATE, gated, t * INTERMEDIATE);
        }
        return gated;
    }

    @Benchmark
    public float[] gegluNew() {
        GatedActivation.apply(Activation.GELU, up, 0, gated, 0, INTERMEDIATE, 0, TOKENS);
        return gated;
    }

    // ---------------------------------------------------------------- the old scalar code, verbatim

    static void oldLayerNorm(float[] x, int xOff, int n, float[] weight, float[] bias, double eps, float[] out, int outOff) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xOff + i];
        }
        double mean = sum / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double d = x[xOff + i] - mean;
            sq += d * d;
        }
        double inv = 1.0 / Math.sqrt(sq / n + eps);
        for (int i = 0; i < n; i++) {
            double v = (x[xOff + i] - mean) * inv * weight[i];
            if (bias != null) {
                v += bias[i];
            }
            out[outOff + i] = (float) v;
        }
    }

    static void oldGatedGelu(float[] u, int uOff, int half, float[] out, int outOff) {
        for (int j = 0; j < half; j++) {
            out[outOff + j] = (float) (oldGelu(u[uOff + j]) * u[uOff + half + j]);
        }
    }

    private static final double INV_SQRT2 = 0.7071067811865476;

    static double oldGelu(double x) {
        return 0.5 * x * (1.0 + oldErf(x * INV_SQRT2));
    }

    private static final double A0 = 0.6749332360398015, A1 = -0.26111186093138095, A2 = 0.11947913859554031,
            A3 = -0.04866277744410358, A4 = 0.01712834480046479, A5 = -0.005234875890604814,
            A6 = 0.0014050900545343758, A7 = -0.0003351432748768563, A8 = 7.180490832927595e-05,
            A9 = -1.3946903933204636e-05, A10 = 2.4701111998936417e-06, A11 = -4.0368873183878723e-07,
            A12 = 6.529247703336564e-08, A13 = -9.159377822275052e-09;
    private static final double B0 = 0.5370034535440321, B1 = -0.023826556719133828, B2 = -0.003204801307397859,
            B3 = 0.0009059264794885501, B4 = -7.918379996841953e-05, B5 = -1.2427863560160099e-05,
            B6 = 5.916085558328272e-06, B7 = -1.0229143145638324e-06, B8 = 1.0443842030314824e-08,
            B9 = 5.3924650480390655e-08, B10 = -1.525409844148088e-08;

    static double oldErf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.0) {
            double s = (x * x - 2.0) * 0.5;
            double p = A13;
            p = Math.fma(p, s, A12);
            p = Math.fma(p, s, A11);
            p = Math.fma(p, s, A10);
            p = Math.fma(p, s, A9);
            p = Math.fma(p, s, A8);
            p = Math.fma(p, s, A7);
            p = Math.fma(p, s, A6);
            p = Math.fma(p, s, A5);
            p = Math.fma(p, s, A4);
            p = Math.fma(p, s, A3);
            p = Math.fma(p, s, A2);
            p = Math.fma(p, s, A1);
            p = Math.fma(p, s, A0);
            return x * p;
        }
        if (ax < 6.0) {
            double inv = 1.0 / ax;
            double r = inv * 6.0 - 2.0;
            double p = B10;
            p = Math.fma(p, r, B9);
            p = Math.fma(p, r, B8);
            p = Math.fma(p, r, B7);
            p = Math.fma(p, r, B6);
            p = Math.fma(p, r, B5);
            p = Math.fma(p, r, B4);
            p = Math.fma(p, r, B3);
            p = Math.fma(p, r, B2);
            p = Math.fma(p, r, B1);
            p = Math.fma(p, r, B0);
            return Math.copySign(1.0 - Math.exp(-ax * ax) * inv * p, x);
        }
        return Double.isNaN(x) ? x : Math.copySign(1.0, x);
    }

    /** CpuModelExecutor.RopeTable's table and scalar rotation. */
    static final class OldRope {
        private final double[] invFreq;
        private final int half;
        private float[] cos = new float[0];
        private float[] sin = new float[0];
        private int positions;

        OldRope(double theta, int headDim) {
            half = headDim / 2;
            invFreq = new double[half];
            for (int j = 0; j < half; j++) {
                invFreq[j] = Math.pow(theta, -2.0 * j / headDim);
            }
        }

        void ensure(int needed) {
            if (needed <= positions) {
                return;
            }
            int n = Math.max(needed, positions * 2);
            float[] c = java.util.Arrays.copyOf(cos, n * half);
            float[] s = java.util.Arrays.copyOf(sin, n * half);
            for (int p = positions; p < n; p++) {
                for (int j = 0; j < half; j++) {
                    double a = p * invFreq[j];
                    c[p * half + j] = (float) Math.cos(a);
                    s[p * half + j] = (float) Math.sin(a);
                }
            }
            cos = c;
            sin = s;
            positions = n;
        }

        void apply(float[] vec, int off, int heads, int position) {
            int base = position * half;
            int d = 2 * half;
            for (int hh = 0; hh < heads; hh++) {
                int o = off + hh * d;
                for (int j = 0; j < half; j++) {
                    float c = cos[base + j];
                    float s = sin[base + j];
                    float x1 = vec[o + j];
                    float x2 = vec[o + j + half];
                    vec[o + j] = x1 * c - x2 * s;
                    vec[o + j + half] = x2 * c + x1 * s;
                }
            }
        }
    }
}
