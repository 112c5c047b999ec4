package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Attention} against a straightforward float64 attention: one head, random q/k/v, driven the
 * way the executor drives it (full layers: the step's keys first, then query blocks in any order;
 * sliding layers: block by block, keys then queries), over prefill longer than the window, decode
 * continuation, forked and truncated caches, and the output_attentions pass.
 */
class AttentionTest {
    private static final int LANES = Lanes.LANES;

    /** One head's cache as the executor keeps it, plus every key/value ever written (for the reference). */
    private static final class Head {
        final int headDim;
        final int window;
        final int ring;
        float[] keys;
        float[] values;
        int length;
        // the reference: position -> row, in sequence order
        float[][] refK = new float[0][];
        float[][] refV = new float[0][];

        Head(int headDim, int window, int rollback, int maxLength) {
            this.headDim = headDim;
            this.window = window;
            this.ring = window > 0 ? Attention.ringSlots(window, rollback, maxLength) : 0;
            int slots = window > 0 ? ring : Attention.roundUp(maxLength);
            keys = new float[slots * headDim];
            values = new float[slots * headDim];
        }

        private Head(Head source) {
            headDim = source.headDim;
            window = source.window;
            ring = source.ring;
            keys = source.keys.clone();
            values = source.values.clone();
            length = source.length;
            refK = source.refK.clone();
            refV = source.refV.clone();
        }

        Head fork() {
            return new Head(this);
        }
    }

    private static float[] random(Random rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (std * rnd.nextGaussian());
        }
        return a;
    }

    /**
     * One step of {@code n} new tokens with rows of width {@code stride} (head at column {@code col}),
     * as the executor runs it; returns {@code [n * headDim]} outputs and, if asked, the probabilities.
     */
    private static float[] step(Head h, float[] q, float[] k, float[] v, int stride, int col, int n, float[] probs,
                                boolean reverseBlocks) {
        int len = h.length;
        int hd = h.headDim;
        float scale = (float) (1 / Math.sqrt(hd));
        float[] out = new float[n * stride];
        Attention.Scratch sc = new Attention.Scratch(hd);
        int keysTotal = len + n;
        if (h.window > 0) {
            for (int t = 0; t < n; t += Attention.BLOCK) {
                int count = Math.min(Attention.BLOCK, n - t);
                Attention.write(k, v, t * stride + col, stride, count, len + t, hd, h.ring, h.keys, h.values);
                Attention.attend(q, t * stride + col, stride, len + t, count, h.window, h.keys, h.values, h.ring, hd, scale,
                        out, t * stride + col, stride, probs, t * keysTotal, keysTotal, sc);
            }
        } else {
            Attention.write(k, v, col, stride, n, len, hd, 0, h.keys, h.values);
            int blocks = Attention.units(n, false);
            for (int bi = 0; bi < blocks; bi++) {
                int b = reverseBlocks ? blocks - 1 - bi : bi;
                int t = b * Attention.BLOCK;
                int count = Math.min(Attention.BLOCK, n - t);
                Attention.attend(q, t * stride + col, stride, len + t, count, 0, h.keys, h.values, 0, hd, scale,
                        out, t * stride + col, stride, probs, t * keysTotal, keysTotal, sc);
            }
        }
        h.refK = Arrays.copyOf(h.refK, len + n);
        h.refV = Arrays.copyOf(h.refV, len + n);
        for (int t = 0; t < n; t++) {
            h.refK[len + t] = Arrays.copyOfRange(k, t * stride + col, t * stride + col + hd);
            h.refV[len + t] = Arrays.copyOfRange(v, t * stride + col, t * stride + col + hd);
        }
        h.length = len + n;
        float[] o = new float[n * hd];
        for (int t = 0; t < n; t++) {
            System.arraycopy(out, t * stride + col, o, t * hd, hd);
        }
        return o;
    }

    /** Float64 attention of the step's queries over the reference keys; also the probabilities. */
    private static double[] reference(Head h, float[] q, int stride, int col, int n, double[] probs) {
        int hd = h.headDim;
        int len = h.length - n;
        double scale = 1 / Math.sqrt(hd);
        double[] out = new double[n * hd];
        for (int t = 0; t < n; t++) {
            int p = len + t;
            int lo = h.window > 0 ? Math.max(0, p - h.window + 1) : 0;
            double[] s = new double[p - lo + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int kp = lo; kp <= p; kp++) {
                double d = 0;
                for (int j = 0; j < hd; j++) {
                    d += (double) q[t * stride + col + j] * h.refK[kp][j];
                }
                s[kp - lo] = d * scale;
                max = Math.max(max, s[kp - lo]);
            }
            double sum = 0;
            for (int i = 0; i < s.length; i++) {
                s[i] = Math.exp(s[i] - max);
                sum += s[i];
            }
            for (int kp = lo; kp <= p; kp++) {
                double w = s[kp - lo] / sum;
                if (probs != null) {
                    probs[t * h.length + kp] = w;
                }
                for (int j = 0; j < hd; j++) {
                    out[t * hd + j] += w * h.refV[kp][j];
                }
            }
        }
        return out;
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 + 1e-4 * Math.abs(expected[i]);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    /** Runs a step on the kernel and the reference and compares outputs (and probabilities when asked). */
    private static void check(Head h, Random rnd, int n, boolean withProbs, String what) {
        int hd = h.headDim;
        // the head sits in a wider row, as in the executor's [tokens x hidden] matrices
        int col = hd;
        int stride = 3 * hd;
        float[] q = random(rnd, n * stride, 1.5);
        float[] k = random(rnd, n * stride, 1.5);
        float[] v = random(rnd, n * stride, 1.0);
        float[] probs = withProbs ? new float[n * (h.length + n)] : null;
        float[] out = step(h, q, k, v, stride, col, n, probs, rnd.nextBoolean());
        double[] refProbs = withProbs ? new double[n * h.length] : null;
        double[] ref = reference(h, q, stride, col, n, refProbs);
        assertClose(ref, out, what + " (head dim " + hd + ", window " + h.window + ", " + n + " queries at " + (h.length - n) + ")");
        if (withProbs) {
            assertClose(refProbs, probs, what + " probabilities");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 12, 16, 20, 32, 64})
    void fullAttentionPrefillAndDecodeMatchFloat64(int headDim) {
        Random rnd = new Random(headDim);
        Head h = new Head(headDim, 0, 0, 300);
        check(h, rnd, 101, true, "full prefill");
        for (int i = 0; i < 5; i++) {
            check(h, rnd, 1, true, "full decode");
        }
        check(h, rnd, 70, false, "full chunk");
        check(h, rnd, 1, false, "full decode after chunk");
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 12, 16, 20, 32, 64})
    void slidingPrefillLongerThanTheRingMatchesFloat64(int headDim) {
        Random rnd = new Random(100 + headDim);
        for (int window : new int[]{4, 7, 16, 40}) {
            Head h = new Head(headDim, window, 3, 1000);
            assertTrue(h.ring >= window + 3 && h.ring >= window + Attention.BLOCK - 1 && h.ring % LANES == 0, "ring " + h.ring);
            // much longer than the ring: block writes wrap around several times within one step
            check(h, rnd, 3 * h.ring + 5, true, "sliding prefill");
            for (int i = 0; i < 3; i++) {
                check(h, rnd, 1, true, "sliding decode");
            }
            check(h, rnd, Attention.BLOCK + 9, false, "sliding chunk");
            check(h, rnd, 2, false, "sliding short chunk");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 20})
    void aQueryGivesTheSameBitsInATileOfFourAsAlone(int window) {
        // prefill runs queries four at a time, decode one at a time: the same operations per query;
        // 3 * LANES + 3 dims run every remainder loop, 150 positions wrap the sliding ring
        for (int headDim : new int[] {12, 64, 3 * LANES + 3}) {
            Random rnd = new Random(7 + headDim + window);
            int n = 150;
            int stride = headDim;
            float[] q = random(rnd, n * stride, 1.5);
            float[] k = random(rnd, n * stride, 1.5);
            float[] v = random(rnd, n * stride, 1.0);
            float[] together = step(new Head(headDim, window, 0, 256), q, k, v, stride, 0, n, null, false);
            Head alone = new Head(headDim, window, 0, 256);
            for (int t = 0; t < n; t++) {
                float[] one = step(alone, Arrays.copyOfRange(q, t * stride, (t + 1) * stride), Arrays.copyOfRange(k, t * stride, (t + 1) * stride),
                        Arrays.copyOfRange(v, t * stride, (t + 1) * stride), stride, 0, 1, null, false);
                for (int d = 0; d < headDim; d++) {
                    assertEquals(Float.floatToRawIntBits(together[t * headDim + d]), Float.floatToRawIntBits(one[d]),
                            "head dim " + headDim + ", window " + window + ", query " + t + ", dim " + d);
                }
            }
        }
    }

    @Test
    void slidingRingThatNeverWrapsIsCappedAtMaxLength() {
        assertEquals(Attention.roundUp(10), Attention.ringSlots(128, 0, 10));
        Random rnd = new Random(5);
        Head h = new Head(16, 128, 0, 10);
        check(h, rnd, 6, true, "short sliding cache");
        check(h, rnd, 4, true, "short sliding cache, to its end");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4})
    void forkedCachesContinueIndependently(int window) {
        Random rnd = new Random(7 + window);
        Head a = new Head(16, window, 2, 200);
        check(a, rnd, 45, false, "before fork");
        Head b = a.fork();
        check(a, rnd, 3, true, "source after fork");
        check(b, rnd, 5, true, "fork");
        check(a, rnd, 1, true, "source again");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4})
    void truncatedCachesForgetTheRemovedPositions(int window) {
        Random rnd = new Random(9 + window);
        int rollback = 5;
        Head h = new Head(12, window, rollback, 200);
        check(h, rnd, 60, false, "prefill");
        // roll back the last `rollback` positions (the ring keeps them) and feed other tokens
        h.length -= rollback;
        h.refK = Arrays.copyOf(h.refK, h.length);
        h.refV = Arrays.copyOf(h.refV, h.length);
        check(h, rnd, rollback, true, "after truncate");
        check(h, rnd, 1, true, "decode after truncate");
        // back to nothing: a cleared cache starts over
        h.length = 0;
        h.refK = new float[0][];
        h.refV = new float[0][];
        check(h, rnd, 9, true, "after clear");
    }

    @Test
    void onlyWindowAndBlockArePartOfTheRing() {
        // a long prefill of a sliding layer never needs more than the ring: memory O(window)
        for (int window : new int[]{1, 4, 128, 4096}) {
            for (int rollback : new int[]{0, 5, 300}) {
                int ring = Attention.ringSlots(window, rollback, 1 << 20);
                assertTrue(ring >= window + Math.max(rollback, Attention.BLOCK - 1), window + "/" + rollback + ": " + ring);
                assertTrue(ring < window + Math.max(rollback, Attention.BLOCK - 1) + LANES, window + "/" + rollback + ": " + ring);
            }
        }
    }

    @Test
    void polynomialExpIsAccurate() {
        float[] x = new float[LANES];
        float[] e = new float[LANES];
        double worst = 0;
        for (int i = 0; i <= 200_000; i += LANES) {
            for (int j = 0; j < LANES; j++) {
                x[j] = -88f * (i + j) / 200_000f;
            }
            VectorExp.exp(FloatVector.fromArray(Lanes.F, x, 0)).intoArray(e, 0);
            for (int j = 0; j < LANES; j++) {
                double want = Math.exp(x[j]);
                if (want > 1e-37) {
                    worst = Math.max(worst, Math.abs(e[j] - want) / want);
                }
            }
        }
        assertTrue(worst < 3e-7, "relative error " + worst);
        VectorExp.exp(FloatVector.broadcast(Lanes.F, Float.NEGATIVE_INFINITY)).intoArray(e, 0);
        assertTrue(e[0] >= 0 && e[0] < 1e-37, "exp(-inf) = " + e[0]);
        VectorExp.exp(FloatVector.zero(Lanes.F)).intoArray(e, 0);
        assertEquals(1f, e[0]);
    }
}
