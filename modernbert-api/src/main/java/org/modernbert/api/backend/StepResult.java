package org.modernbert.api.backend;

import java.util.List;

/**
 * Outputs of one step, one entry per sequence in request order.
 *
 * @param hiddenStates final-norm hidden states, {@code [newTokens * hidden]} row-major, or null entries when not requested
 * @param headOutputs  head outputs: {@code [newTokens * outputs]} for {@link HeadMode#ALL},
 *                     {@code [outputs]} for {@link HeadMode#LAST}, null entries for {@link HeadMode#NONE}
 */
public record StepResult(List<float[]> hiddenStates, List<float[]> headOutputs) {
}
