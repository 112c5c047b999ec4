package org.modernbert.api.model;

import java.util.List;

/** {@code last_hidden_state} of every row: positions x hidden, after the final norm. */
public record BaseModelOutput(List<FloatMatrix> lastHiddenState) {
}
