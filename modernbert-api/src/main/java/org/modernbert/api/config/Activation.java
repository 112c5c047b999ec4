package org.modernbert.api.config;

/**
 * Activation functions by their Hugging Face {@code ACT2FN} names. {@link #apply(double)} is the
 * reference definition that backends must reproduce (GELU is the exact erf form).
 */
public enum Activation {
    GELU("gelu"),
    GELU_TANH("gelu_new", "gelu_pytorch_tanh", "gelu_fast"),
    QUICK_GELU("quick_gelu"),
    SILU("silu", "swish"),
    RELU("relu");

    private final String[] hfNames;

    Activation(String... hfNames) {
        this.hfNames = hfNames;
    }

    public String hfName() {
        return hfNames[0];
    }

    /** Looks an activation up by any of its HF names; null when unknown. */
    public static Activation fromHfName(String name) {
        for (Activation a : values()) {
            for (String n : a.hfNames) {
                if (n.equals(name)) {
                    return a;
                }
            }
        }
        return null;
    }

    public double apply(double x) {
        return switch (this) {
            case GELU -> 0.5 * x * (1.0 + erf(x / Math.sqrt(2.0)));
            case GELU_TANH -> 0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
            case QUICK_GELU -> x / (1.0 + Math.exp(-1.702 * x));
            case SILU -> x / (1.0 + Math.exp(-x));
            case RELU -> Math.max(0.0, x);
        };
    }

    /**
     * The error function to about 1e-15 relative error: a Taylor series near zero and a continued
     * fraction for erfc elsewhere (the JDK has no erf).
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.0) {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
            double x2 = x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            return 2.0 / Math.sqrt(Math.PI) * sum;
        }
        if (ax > 6.0) {
            return Math.signum(x);
        }
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated by Lentz.
        double tiny = 1e-300;
        double f = ax;
        double c = ax;
        double d = 0.0;
        for (int n = 1; n < 200; n++) {
            double an = n * 0.5;
            d = ax + an * d;
            d = d == 0 ? tiny : 1.0 / d;
            c = ax + an / c;
            if (c == 0) {
                c = tiny;
            }
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) {
                break;
            }
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return Math.copySign(1.0 - erfc, x);
    }
}
