package org.modernbert.backend.cpu.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The vector RoPE against the scalar loop of the executor's RopeTable: the same bits. */
class RopeTest {
    /** Head dims below, at and above the vector width, with and without a scalar tail. */
    private static final int[] HEAD_DIMS = {2, 6, 16, 30, 32, 34, 64, 96, 128};

    /** The table and scalar rotation of CpuModelExecutor.RopeTable, copied as the reference. */
    private static void reference(double theta, int headDim, float[] vec, int off, int heads, int position) {
        int half = headDim / 2;
        for (int hh = 0; hh < heads; hh++) {
            int o = off + hh * headDim;
            for (int j = 0; j < half; j++) {
                double a = position * Math.pow(theta, -2.0 * j / headDim);
                float c = (float) Math.cos(a);
                float s = (float) Math.sin(a);
                float x1 = vec[o + j];
                float x2 = vec[o + j + half];
                vec[o + j] = x1 * c - x2 * s;
                vec[o + j + half] = x2 * c + x1 * s;
            }
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    @Test
    void bitIdenticalToScalarLoop() {
        Random rnd = new Random(11);
        for (double theta : new double[] {10000.0, 160000.0}) {
            for (int d : HEAD_DIMS) {
                int heads = 3;
                int stride = heads * d + 5;
                int tokens = 9;
                int[] positions = new int[tokens];
                for (int t = 0; t < tokens; t++) {
                    positions[t] = rnd.nextInt(3000);
                }
                positions[0] = 0;
                Rope rope = new Rope(theta, d);
                rope.ensure(3000);
                float[] q = random(rnd, tokens * stride);
                float[] k = random(rnd, tokens * stride);
                float[] q0 = q.clone();
                float[] k0 = k.clone();
                rope.apply(q, k, stride, heads, positions, 0, tokens);
                for (int t = 0; t < tokens; t++) {
                    reference(theta, d, q0, t * stride, heads, positions[t]);
                    reference(theta, d, k0, t * stride, heads, positions[t]);
                }
                // assertArrayEquals compares floats bit for bit (floatToIntBits)
                assertArrayEquals(q0, q, "q, theta=" + theta + " d=" + d);
                assertArrayEquals(k0, k, "k, theta=" + theta + " d=" + d);
            }
        }
    }

    @Test
    void tableGrowsOnDemandToTheSameValues() {
        Random rnd = new Random(12);
        int d = 64;
        Rope grown = new Rope(10000.0, d);
        grown.ensure(3);
        assertEquals(3, grown.positions());
        grown.ensure(4);
        assertEquals(6, grown.positions(), "grows at least twofold");
        grown.ensure(700);
        Rope fresh = new Rope(10000.0, d);
        fresh.ensure(700);
        for (int p = 0; p < 700; p += 7) {
            float[] a = random(rnd, 2 * d);
            float[] b = a.clone();
            grown.apply(a, 0, 2, p);
            fresh.apply(b, 0, 2, p);
            assertArrayEquals(b, a, "position " + p);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> fresh.apply(new float[d], 0, 1, 700));
        assertThrows(IllegalArgumentException.class, () -> new Rope(10000.0, 7));
    }

    @Test
    void touchesOnlyItsRows() {
        Random rnd = new Random(13);
        int d = 64;
        int heads = 2;
        int stride = heads * d;
        int tokens = 6;
        int[] positions = {5, 4, 3, 2, 1, 0};
        Rope rope = new Rope(10000.0, d);
        rope.ensure(6);
        float[] x = random(rnd, 1 + tokens * stride);
        float[] before = x.clone();
        rope.apply(x, 1, stride, heads, positions, 2, 4);
        float[] expected = before.clone();
        for (int t = 2; t < 4; t++) {
            reference(10000.0, d, expected, 1 + t * stride, heads, positions[t]);
        }
        assertArrayEquals(expected, x);
    }
}
