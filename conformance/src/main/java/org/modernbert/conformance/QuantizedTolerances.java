package org.modernbert.conformance;

import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.Comparison.Quantity;

/**
 * The kit's default tolerance hook: when the options convert the fixtures' weights to a lossy
 * format ({@code quantize} other than F32), no backend can match the float64 reference at 1e-3, so
 * the comparisons against the reference are widened to what the format itself costs, and the
 * greedy ids against the reference become informational (a quantized model may rightly pick
 * another token where the reference's margin is small). Comparisons of the backend with itself
 * keep their float32 tolerances: quantized weights are the same weights on every path.
 *
 * <p>See {@code docs/backends.md} for the measured errors these bounds were set from.
 */
public final class QuantizedTolerances {
    private QuantizedTolerances() {
    }

    /** The tolerance the kit uses by default for {@code comparison} when the weights are quantized to {@code format}. */
    public static Tolerance widen(WeightFormat format, Comparison comparison, Tolerance declared) {
        if (format == null || format == WeightFormat.F32 || !comparison.reference()) {
            return declared;
        }
        if (comparison.quantity() == Quantity.TOKEN_IDS) {
            return Tolerance.INFORMATIONAL;
        }
        return declared.atLeast(bound(format, comparison.quantity()));
    }

    /** The widened bound of one quantity for one format. */
    public static Tolerance bound(WeightFormat format, Quantity quantity) {
        return switch (format) {
            case F32 -> Tolerance.EXACT;
            // TODO calibrate: measured on cpu (and the example backend), then ~2-3x the largest error
            case Q8_0 -> switch (quantity) {
                case LOGITS -> new Tolerance(0.5, 0.05);
                case HIDDEN_STATES -> new Tolerance(0.1, 0.05);
                case ATTENTIONS -> new Tolerance(0.05, 0);
                case LOSS -> new Tolerance(0, 0.05);
                case TOKEN_IDS -> Tolerance.INFORMATIONAL;
            };
            case BF16, F16 -> switch (quantity) {
                case LOGITS -> new Tolerance(0.5, 0.05);
                case HIDDEN_STATES -> new Tolerance(0.1, 0.05);
                case ATTENTIONS -> new Tolerance(0.05, 0);
                case LOSS -> new Tolerance(0, 0.05);
                case TOKEN_IDS -> Tolerance.INFORMATIONAL;
            };
        };
    }
}
