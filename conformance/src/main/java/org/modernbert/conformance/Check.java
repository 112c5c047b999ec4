package org.modernbert.conformance;

import org.junit.jupiter.api.function.Executable;
import org.modernbert.api.ModernBertException;
import org.modernbert.conformance.Comparison.Quantity;
import org.modernbert.conformance.ConformanceReport.Result;
import org.modernbert.conformance.ConformanceReport.Row;
import org.opentest4j.AssertionFailedError;

import java.util.Locale;

/**
 * The running check: what its comparisons and rules record into the report. A comparison that
 * fails records its row and then throws {@link AssertionFailedError}, which fails the check.
 *
 * <p>Subclasses of the kit can add checks of their own with it:
 * <pre>{@code @Test void myRule() {
 *     check().expect("returns pinned memory", ..., "...");
 * }}</pre>
 */
public final class Check {
    private final String id;
    private final ConformanceReport report;
    private final ToleranceHook hook;

    Check(String id, ConformanceReport report, ToleranceHook hook) {
        this.id = id;
        this.report = report;
        this.hook = hook;
    }

    public String id() {
        return id;
    }

    /** A quantity compared with the float64 reference fixtures. */
    public Measure reference(String what, Quantity quantity, Tolerance declared) {
        return measure(new Comparison(id, what, quantity, true), declared);
    }

    /** A quantity compared with another way of computing it on the same backend. */
    public Measure consistency(String what, Quantity quantity, Tolerance declared) {
        return measure(new Comparison(id, what, quantity, false), declared);
    }

    private Measure measure(Comparison c, Tolerance declared) {
        Tolerance used = hook.tolerance(c, declared);
        if (used == null) {
            used = declared;
        }
        return new Measure(c, declared, used);
    }

    /** A rule without numbers: passes or fails with {@code failure}. */
    public void expect(String what, boolean ok, String failure) {
        Row old = report.row(id, what);
        if (ok) {
            if (old == null) {
                report.put(new Row(id, what, "-", Double.NaN, null, null, Result.PASS, null));
            }
            return;
        }
        report.put(new Row(id, what, "-", Double.NaN, null, null, Result.FAIL, failure));
        throw new AssertionFailedError(id + " " + what + ": " + failure);
    }

    /**
     * Runs {@code action}, which must be refused with a {@link ModernBertException} whose message
     * mentions every one of {@code mentions} (case-insensitive): an error that names the problem.
     */
    public ModernBertException refused(String what, Executable action, String... mentions) {
        try {
            action.execute();
        } catch (ModernBertException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
            for (String word : mentions) {
                expect(what, m.contains(word.toLowerCase(Locale.ROOT)),
                        "refused, but the message does not mention '" + word + "': " + e.getMessage());
            }
            expect(what, !m.isBlank(), "refused with an empty message");
            return e;
        } catch (Throwable t) {
            expect(what, false, "expected a ModernBertException, got " + t);
        }
        expect(what, false, "was accepted; expected a ModernBertException");
        return null;
    }

    /** A measured fact shown in the table that never fails. */
    public void info(String what, String observed) {
        report.put(new Row(id, what, observed, Double.NaN, Tolerance.INFORMATIONAL, null, Result.INFO, null));
    }

    /** A part of the check that could not be tried here, and why. */
    public void skip(String what, String why) {
        report.put(new Row(id, what, "-", Double.NaN, null, null, Result.SKIP, why));
    }

    /** One compared quantity: keeps the largest error over every call and the tolerance used. */
    public final class Measure {
        private final Comparison comparison;
        private final Tolerance declared;
        private final Tolerance used;
        private double maxError;
        private long idsCompared;
        private long idsDiffering;
        private long idsAgreeing;

        private Measure(Comparison comparison, Tolerance declared, Tolerance used) {
            this.comparison = comparison;
            this.declared = declared;
            this.used = used;
        }

        public Tolerance tolerance() {
            return used;
        }

        public Comparison comparison() {
            return comparison;
        }

        /** Element-wise {@code |actual - expected| <= tolerance}. */
        public void compare(String where, double[] expected, float[] actual) {
            if (actual == null) {
                fail(where, "got no values, expected " + expected.length);
            }
            if (expected.length != actual.length) {
                fail(where, "got " + actual.length + " values, expected " + expected.length);
            }
            int worst = -1;
            double worstExcess = 0;
            double max = 0;
            for (int i = 0; i < expected.length; i++) {
                double err = Math.abs(actual[i] - expected[i]);
                if (Double.isNaN(err)) {
                    err = Double.POSITIVE_INFINITY;
                }
                max = Math.max(max, err);
                double excess = err - used.limit(expected[i]);
                if (excess > worstExcess) {
                    worstExcess = excess;
                    worst = i;
                }
            }
            maxError = Math.max(maxError, max);
            if (worst >= 0 && !used.isInformational()) {
                fail(where, "element " + worst + " is " + actual[worst] + ", expected " + expected[worst] + ": |a-b| = "
                        + Tolerance.number(Math.abs(actual[worst] - expected[worst])) + " > " + used.describe()
                        + " (largest error " + Tolerance.number(max) + ")");
            }
            record();
        }

        public void compare(String where, float[] expected, float[] actual) {
            if (expected == null) {
                fail(where, "the expected values are missing");
            }
            double[] e = new double[expected.length];
            for (int i = 0; i < e.length; i++) {
                e[i] = expected[i];
            }
            compare(where, e, actual);
        }

        public void compare(String where, double expected, double actual) {
            compare(where, new double[]{expected}, new float[]{(float) actual});
        }

        /**
         * Token ids: the error is the number of positions that differ. Under an informational
         * tolerance the row shows how many leading ids agree before the first divergence.
         */
        public void compareIds(String where, int[] expected, int[] actual) {
            if (actual == null) {
                fail(where, "got no ids");
            }
            int n = Math.max(expected.length, actual.length);
            int differ = 0;
            int firstDiff = -1;
            for (int i = 0; i < n; i++) {
                boolean same = i < expected.length && i < actual.length && expected[i] == actual[i];
                if (!same) {
                    differ++;
                    if (firstDiff < 0) {
                        firstDiff = i;
                    }
                }
            }
            idsCompared += expected.length;
            idsDiffering += differ;
            idsAgreeing += firstDiff < 0 ? expected.length : Math.min(firstDiff, expected.length);
            maxError = Math.max(maxError, differ);
            if (differ > 0 && !used.isInformational() && differ > used.atol()) {
                fail(where, differ + " of " + n + " ids differ, first at index " + firstDiff + ": expected "
                        + java.util.Arrays.toString(expected) + ", got " + java.util.Arrays.toString(actual));
            }
            record();
        }

        /**
         * A token chosen by the backend (greedy, argmax) against logits computed another way: the error
         * is how far the chosen token's logit is below the largest one, so only a near-tie within the
         * tolerance (relative to the largest logit) may pick another token than the plain argmax.
         */
        public void compareChoice(String where, float[] logits, int chosen) {
            if (chosen < 0 || chosen >= logits.length) {
                fail(where, "chose token " + chosen + ", outside [0, " + logits.length + ")");
            }
            int best = argmax(logits);
            double gap = (double) logits[best] - logits[chosen];
            maxError = Math.max(maxError, gap);
            if (gap > used.limit(logits[best]) && !used.isInformational()) {
                fail(where, "chose token " + chosen + " (logit " + logits[chosen] + ") but token " + best + " has logit "
                        + logits[best] + ": gap " + Tolerance.number(gap) + " > " + used.describe());
            }
            record();
        }

        private void record() {
            report.put(row(used.isInformational() ? Result.INFO : Result.PASS, null));
        }

        private void fail(String where, String problem) {
            String message = (where == null || where.isEmpty() ? "" : where + ": ") + problem;
            report.put(row(Result.FAIL, message));
            throw new AssertionFailedError(id + " " + comparison.what() + (where == null || where.isEmpty() ? "" : " (" + where + ")")
                    + ": " + problem);
        }

        private Row row(Result result, String message) {
            Row old = report.row(id, comparison.what());
            if (old != null && old.result() == Result.FAIL && result != Result.FAIL) {
                return old;
            }
            return new Row(id, comparison.what(), measured(), maxError, used, used.equals(declared) ? null : declared,
                    result, message);
        }

        private String measured() {
            if (comparison.quantity() == Quantity.TOKEN_IDS && idsCompared > 0) {
                if (used.isInformational()) {
                    return String.format(Locale.ROOT, "%d/%d agree (%.0f%%)", idsAgreeing, idsCompared,
                            100.0 * idsAgreeing / idsCompared);
                }
                return idsDiffering + "/" + idsCompared + " differ";
            }
            return Tolerance.number(maxError);
        }
    }

    /** The index of the largest value; the lowest such index on ties. */
    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
