package org.modernbert.conformance;

/**
 * One measured quantity of one check, as the tolerance hook sees it.
 *
 * @param check     the check's id, e.g. {@code executor.step[tiny-mbd]}
 * @param what      what is compared inside the check, e.g. {@code logits}
 * @param quantity  the kind of numbers
 * @param reference true when the expected values are the float64 reference fixtures; false when the
 *                  backend is compared with itself (a cached continuation with one step, a fork with a
 *                  fresh cache, a head mode with the full logits), which only float32 rounding separates
 */
public record Comparison(String check, String what, Quantity quantity, boolean reference) {
    /** The kinds of numbers the kit compares. */
    public enum Quantity {
        LOGITS,
        HIDDEN_STATES,
        ATTENTIONS,
        LOSS,
        /** Token ids (greedy continuations, argmax, top-k ids): compared exactly. */
        TOKEN_IDS
    }

    /** {@code check what}: the name of the report row. */
    public String id() {
        return check + " " + what;
    }
}
