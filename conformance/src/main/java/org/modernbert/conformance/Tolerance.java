package org.modernbert.conformance;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * How far a value may be from the one it is compared with: {@code |a - b| <= atol + rtol * |b|}
 * element-wise, {@code b} being the expected value. Every comparison of the kit declares one; a
 * backend can widen it through {@link ConformanceKit#tolerance(Comparison, Tolerance)}, and the
 * report shows both.
 *
 * <p>{@link #EXACT} (0, 0) is for token ids and counts; {@link #INFORMATIONAL} turns a comparison
 * into a report row that never fails.
 */
public record Tolerance(double atol, double rtol) {
    /** Logits and hidden states: what float32 compute supports against the float64 reference. */
    public static final Tolerance ACTIVATIONS = new Tolerance(1e-3, 1e-4);
    /** Losses: relative. */
    public static final Tolerance LOSS = new Tolerance(0, 1e-4);
    /** Attention probabilities (values in [0, 1]). */
    public static final Tolerance PROBABILITIES = new Tolerance(1e-4, 0);
    /** Token ids, counts, lengths: must be equal. */
    public static final Tolerance EXACT = new Tolerance(0, 0);
    /** Measured and reported, never failed (a widening hook may return it, e.g. ids vs the reference under quantization). */
    public static final Tolerance INFORMATIONAL = new Tolerance(Double.POSITIVE_INFINITY, 0);

    public Tolerance {
        if (!(atol >= 0) || !(rtol >= 0)) {
            throw new IllegalArgumentException("a tolerance needs atol >= 0 and rtol >= 0, got " + atol + ", " + rtol);
        }
    }

    /** The bound for one expected value. */
    public double limit(double expected) {
        return atol + rtol * Math.abs(expected);
    }

    public boolean close(double actual, double expected) {
        if (isInformational()) {
            return true;
        }
        return Math.abs(actual - expected) <= limit(expected);
    }

    public boolean isExact() {
        return atol == 0 && rtol == 0;
    }

    public boolean isInformational() {
        return Double.isInfinite(atol);
    }

    /** The looser of the two, bound by bound. */
    public Tolerance atLeast(Tolerance other) {
        return new Tolerance(Math.max(atol, other.atol), Math.max(rtol, other.rtol));
    }

    /** Short form for tables: {@code 1e-3+1e-4|b|}, {@code 1e-4|b|}, {@code 0.5}, {@code exact}, {@code info}. */
    public String describe() {
        if (isInformational()) {
            return "info";
        }
        if (isExact()) {
            return "exact";
        }
        if (rtol == 0) {
            return number(atol);
        }
        if (atol == 0) {
            return number(rtol) + "|b|";
        }
        return number(atol) + "+" + number(rtol) + "|b|";
    }

    @Override
    public String toString() {
        return describe();
    }

    /** {@code 1e-3}, {@code 2.5e-4}, {@code 0.5}, {@code 12}: the shortest honest form of a bound or an error. */
    static String number(double v) {
        if (v == 0) {
            return "0";
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        double a = Math.abs(v);
        if (a >= 0.01 && a < 10_000) {
            return new BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString();
        }
        String s = String.format(Locale.ROOT, "%.1e", v); // 1.0e-03
        String mantissa = s.substring(0, s.indexOf('e')).replaceAll("\\.0$", "");
        int exponent = Integer.parseInt(s.substring(s.indexOf('e') + 1));
        return mantissa + "e" + exponent;
    }

    // ---- plain assertions, for tests outside the kit (no report) ----

    /**
     * Checks a row-major {@code [rows * cols]} actual against a JSON {@code [rows][cols]} (or flat)
     * expected array, failing with the worst element and where it is.
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
            double excess = err - limit(exp[i]);
            if (Double.isNaN(actual[i]) || excess > worstExcess) {
                worstExcess = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            String where = expected.isArray() && !expected.isEmpty() && expected.get(0).isArray()
                    ? "[" + worst / expected.get(0).size() + "][" + worst % expected.get(0).size() + "]" : "[" + worst + "]";
            fail(what + ": element " + where + " is " + actual[worst] + ", expected " + exp[worst]
                    + " (|a-b| <= " + describe() + " violated; max abs error " + maxAbs + ")");
        }
    }

    public void assertClose(String what, double expected, double actual) {
        if (!close(actual, expected)) {
            fail(what + ": got " + actual + ", expected " + expected + " (|a-b| <= " + describe() + ")");
        }
    }

    /** Every number of a JSON array of any depth, in row-major order (nulls are NaN). */
    public static double[] flatten(JsonNode node) {
        int n = count(node);
        double[] out = new double[n];
        fill(node, out, 0);
        return out;
    }

    private static int count(JsonNode node) {
        if (!node.isArray()) {
            return 1;
        }
        int n = 0;
        for (JsonNode e : node) {
            n += count(e);
        }
        return n;
    }

    private static int fill(JsonNode node, double[] out, int at) {
        if (!node.isArray()) {
            out[at] = node.isNull() ? Double.NaN : node.asDouble();
            return at + 1;
        }
        for (JsonNode e : node) {
            at = fill(e, out, at);
        }
        return at;
    }
}
