package org.modernbert.api.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class ActivationTest {
    // Reference values: Python's math.erf (correctly rounded to double on glibc).
    private static final double[][] ERF = {
            {0.5, 0.5204998778130465},
            {1.0, 0.8427007929497149},
            {2.5, 0.9995930479825550},
            {-3.0, -0.9999779095030014},
            {0.1, 0.1124629160182849},
            {-0.7, -0.6778011938374184},
            {1.9999, 0.9953201979070294}, // both sides of the series / continued-fraction switch at 2
            {2.0001, 0.9953243313041966},
            {5.9, 0.9999999999999999},
    };

    @Test
    void erfMatchesKnownValues() {
        for (double[] c : ERF) {
            assertEquals(c[1], Activation.erf(c[0]), 2e-16 + 1e-15 * Math.abs(c[1]), "erf(" + c[0] + ")");
        }
        assertEquals(0.0, Activation.erf(0.0));
        assertEquals(1.0, Activation.erf(10.0));
        assertEquals(-1.0, Activation.erf(-10.0));
    }

    @Test
    void erfIsOdd() {
        for (double x = 0.0; x < 7.0; x += 0.037) {
            assertEquals(-Activation.erf(x), Activation.erf(-x), 0.0, "x=" + x);
        }
    }

    @Test
    void exactGelu() {
        // 0.5 * x * (1 + erf(x / sqrt 2)) by Python's math.erf
        assertEquals(0.8413447460685429, Activation.GELU.apply(1.0), 1e-15);
        assertEquals(-0.04550026389635842, Activation.GELU.apply(-2.0), 1e-15);
    }

    @Test
    void hfNames() {
        assertSame(Activation.GELU, Activation.fromHfName("gelu"));
        assertSame(Activation.GELU_TANH, Activation.fromHfName("gelu_pytorch_tanh"));
        assertSame(Activation.GELU_TANH, Activation.fromHfName("gelu_new"));
        assertSame(Activation.SILU, Activation.fromHfName("swish"));
        assertNull(Activation.fromHfName("mish"));
    }
}
