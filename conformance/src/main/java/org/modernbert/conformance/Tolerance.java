package org.modernbert.conformance;

import com.fasterxml.jackson.databind.JsonNode;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Comparison against the float64 reference: {@code |a - b| <= atol + rtol * |b|} element-wise,
 * failing with the worst element and where it is.
 */
public record Tolerance(double atol, double rtol) {
    /** Logits and hidden states: what float32 compute supports against the float64 reference. */
    public static final Tolerance ACTIVATIONS = new Tolerance(1e-3, 1e-4);
    /** Losses: relative. */
    public static final Tolerance LOSS = new Tolerance(0, 1e-4);

    public boolean close(double actual, double expected) {
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }

    /**
     * Checks a row-major {@code [rows * cols]} actual against a JSON {@code [rows][cols]} (or flat)
     * expected array.
     */
    public void assertClose(String what, JsonNode expected, float[] actual) {
        double[] exp = flatten(expected);
        if (exp.length != actual.length) {
            fail(what + ": expected " + exp.length + " values, got " + actual.length);
        }
        int worst = -1;
        double worstExcess = 0;
        double maxAbs = 0;
        for (int i = 0; i < exp.length; i++) {
            double err = Math.abs(actual[i] - exp[i]);
            maxAbs = Math.max(maxAbs, err);
            double excess = err - (atol + rtol * Math.abs(exp[i]));
            if (Double.isNaN(actual[i]) || excess > worstExcess) {
                worstExcess = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            String where = expected.isArray() && expected.size() > 0 && expected.get(0).isArray()
                    ? "[" + worst / expected.get(0).size() + "][" + worst % expected.get(0).size() + "]" : "[" + worst + "]";
            fail(what + ": element " + where + " is " + actual[worst] + ", expected " + exp[worst]
                    + " (|a-b| <= " + atol + " + " + rtol + "*|b| violated; max abs error " + maxAbs + ")");
        }
    }

    public void assertClose(String what, double expected, double actual) {
        if (!close(actual, expected)) {
            fail(what + ": got " + actual + ", expected " + expected + " (atol " + atol + ", rtol " + rtol + ")");
        }
    }

    static double[] flatten(JsonNode node) {
        int n = 0;
        for (JsonNode row : node) {
            n += row.isArray() ? row.size() : 1;
        }
        double[] out = new double[n];
        int i = 0;
        for (JsonNode row : node) {
            if (row.isArray()) {
                for (JsonNode v : row) {
                    out[i++] = v.asDouble();
                }
            } else {
                out[i++] = row.asDouble();
            }
        }
        return out;
    }
}
