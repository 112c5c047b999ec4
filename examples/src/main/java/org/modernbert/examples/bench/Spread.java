package org.modernbert.examples.bench;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/** Median, minimum and maximum of a figure over the repetitions. */
public record Spread(double median, double min, double max) {
    public static Spread of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Spread(median, v[0], v[n - 1]);
    }

    /** Each repetition's value through {@code f} (a rate from a time: min and max swap where f decreases). */
    public static Spread of(double[] values, DoubleUnaryOperator f) {
        return of(Arrays.stream(values).map(f).toArray());
    }
}
