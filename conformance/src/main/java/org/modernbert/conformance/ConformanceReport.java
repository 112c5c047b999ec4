package org.modernbert.conformance;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What one run of the kit measured: one row per compared quantity of each check (its largest
 * error, the tolerance used and, when the backend widened it, the declared one) and the outcome of
 * every check. {@link #print} writes the table that {@code ./modernbert conformance} shows.
 */
public final class ConformanceReport {
    /** The result of a row or a check. */
    public enum Result {
        PASS("pass"),
        FAIL("FAIL"),
        /** Measured, not judged (informational tolerance). */
        INFO("info"),
        /** Not run: backend unavailable, fixture not selected, or a limit too large to try. */
        SKIP("skip");

        private final String label;

        Result(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One line of the table.
     *
     * @param check     the check id
     * @param what      the quantity or rule inside the check
     * @param measured  the largest error as shown (or what was observed), "-" when nothing numeric
     * @param maxError  the largest error as a number; NaN when not numeric
     * @param tolerance the tolerance used; null for rules without one
     * @param declared  the tolerance the check declared, when the backend's hook changed it; else null
     * @param result    pass, fail, info or skip
     * @param message   why it failed or was skipped; null otherwise
     */
    public record Row(String check, String what, String measured, double maxError, Tolerance tolerance, Tolerance declared,
                      Result result, String message) {
        public boolean widened() {
            return declared != null;
        }

        /** {@code check what}. */
        public String name() {
            return what == null || what.isEmpty() ? check : check + " " + what;
        }

        /** The tolerance column: {@code 1e-3+1e-4|b| -> 0.5 (widened)} when the hook changed it. */
        public String toleranceText() {
            if (tolerance == null) {
                return "-";
            }
            return declared == null ? tolerance.describe() : declared.describe() + " -> " + tolerance.describe() + " (widened)";
        }
    }

    /** How a whole check ended (a JUnit test of the kit). */
    public record Outcome(String check, Result result, String message) {
    }

    private final String title;
    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final Map<String, Outcome> outcomes = new LinkedHashMap<>();

    public ConformanceReport(String title) {
        this.title = title;
    }

    public String title() {
        return title;
    }

    /** Adds a row, or replaces the row of the same check and quantity (checks update theirs as they measure). */
    public synchronized void put(Row row) {
        rows.put(row.name(), row);
    }

    public synchronized Row row(String check, String what) {
        return rows.get(what == null || what.isEmpty() ? check : check + " " + what);
    }

    public synchronized void outcome(String check, Result result, String message) {
        outcomes.put(check, new Outcome(check, result, message));
    }

    public synchronized List<Row> rows() {
        return List.copyOf(rows.values());
    }

    public synchronized List<Outcome> outcomes() {
        return List.copyOf(outcomes.values());
    }

    /** Ids of the checks that failed, in the order they ran. */
    public synchronized Set<String> failedChecks() {
        Set<String> out = new LinkedHashSet<>();
        for (Outcome o : outcomes.values()) {
            if (o.result == Result.FAIL) {
                out.add(o.check);
            }
        }
        for (Row r : rows.values()) {
            if (r.result == Result.FAIL) {
                out.add(r.check);
            }
        }
        return out;
    }

    /** Ids of the checks that ran and passed. */
    public synchronized Set<String> passedChecks() {
        Set<String> out = new LinkedHashSet<>();
        for (Outcome o : outcomes.values()) {
            if (o.result == Result.PASS) {
                out.add(o.check);
            }
        }
        return out;
    }

    /** True when at least one check ran and none failed. */
    public synchronized boolean passed() {
        return failedChecks().isEmpty() && !passedChecks().isEmpty();
    }

    /** The table (passing rules collapsed to one row per check), the failure messages and a summary line. */
    public synchronized void print(PrintWriter out) {
        print(out, false);
    }

    /** The table, the failure messages and a summary line; {@code verbose} lists every rule of every check. */
    public synchronized void print(PrintWriter out, boolean verbose) {
        List<Row> table = tableRows(verbose);
        int nameWidth = Math.max("CHECK".length(), table.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        int errorWidth = Math.max("MAX ERROR".length(), table.stream().mapToInt(r -> r.measured().length()).max().orElse(0));
        int tolWidth = Math.max("TOLERANCE".length(), table.stream().mapToInt(r -> r.toleranceText().length()).max().orElse(0));
        String format = "%-" + nameWidth + "s  %-" + errorWidth + "s  %-" + tolWidth + "s  %s%n";
        out.println(title);
        out.printf(format, "CHECK", "MAX ERROR", "TOLERANCE", "RESULT");
        for (Row r : table) {
            out.printf(format, r.name(), r.measured(), r.toleranceText(), r.result().label());
        }
        List<Row> failures = table.stream().filter(r -> r.result() == Result.FAIL).toList();
        if (!failures.isEmpty()) {
            out.println();
            out.println("Failures:");
            for (Row r : failures) {
                out.println("  " + r.name() + ": " + r.message());
            }
        }
        List<Row> skips = table.stream().filter(r -> r.result() == Result.SKIP && r.message() != null).toList();
        if (!skips.isEmpty()) {
            out.println();
            out.println("Skipped:");
            for (Row r : skips) {
                out.println("  " + r.name() + ": " + r.message());
            }
        }
        out.println();
        out.println(summary());
        out.flush();
    }

    /** {@code 41 checks: 41 passed, 0 failed, 0 skipped; 3 rows widened, 2 informational. PASS} */
    public synchronized String summary() {
        int pass = 0;
        int fail = 0;
        int skip = 0;
        for (Outcome o : outcomes.values()) {
            switch (o.result) {
                case PASS, INFO -> pass++;
                case FAIL -> fail++;
                case SKIP -> skip++;
            }
        }
        long widened = rows.values().stream().filter(Row::widened).count();
        long info = rows.values().stream().filter(r -> r.result == Result.INFO).count();
        return outcomes.size() + (outcomes.size() == 1 ? " check: " : " checks: ") + pass + " passed, " + fail + " failed, " + skip + " skipped; "
                + widened + " rows widened, " + info + " informational. " + (passed() ? "PASS" : "FAIL");
    }

    /**
     * Rows in check order; a check that recorded no row (or failed outside its rows) gets one from its
     * outcome. Unless {@code verbose}, a check's passing rules (rows without a tolerance) become one row.
     */
    private List<Row> tableRows(boolean verbose) {
        Map<String, List<Row>> byCheck = new LinkedHashMap<>();
        for (Row r : rows.values()) {
            byCheck.computeIfAbsent(r.check, k -> new ArrayList<>()).add(r);
        }
        List<Row> out = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        for (Outcome o : outcomes.values()) {
            List<Row> own = byCheck.getOrDefault(o.check, List.of());
            out.addAll(verbose ? own : collapsed(o.check, own));
            done.add(o.check);
            boolean failedInRow = own.stream().anyMatch(r -> r.result == Result.FAIL);
            if (own.isEmpty() || (o.result == Result.FAIL && !failedInRow)) {
                String what = o.result == Result.FAIL && !own.isEmpty() ? "(error)" : "";
                out.add(new Row(o.check, what, "-", Double.NaN, null, null, o.result, o.message));
            }
        }
        byCheck.forEach((check, own) -> {
            if (!done.contains(check)) {
                out.addAll(verbose ? own : collapsed(check, own));
            }
        });
        return out;
    }

    private static List<Row> collapsed(String check, List<Row> own) {
        List<Row> out = new ArrayList<>();
        int rules = 0;
        for (Row r : own) {
            if (r.tolerance == null && r.result == Result.PASS) {
                rules++;
            } else {
                out.add(r);
            }
        }
        if (rules > 0) {
            out.add(new Row(check, rules == 1 ? "(1 rule)" : "(" + rules + " rules)", "-", Double.NaN, null, null, Result.PASS, null));
        }
        return out;
    }

    @Override
    public String toString() {
        java.io.StringWriter s = new java.io.StringWriter();
        print(new PrintWriter(s));
        return s.toString();
    }

    static String firstLine(String message) {
        if (message == null) {
            return null;
        }
        String m = Objects.toString(message).strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
