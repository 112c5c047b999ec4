package org.modernbert.core.pipeline;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.config.ProblemType;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ScoreFunctionTest {
    private static ModernBertDecoderConfig config(int labels, ProblemType type) {
        return ModernBertDecoderConfig.builder().numLabels(labels).problemType(type).build();
    }

    @Test
    void defaultsFollowTransformersPipeline() {
        assertEquals(ScoreFunction.SOFTMAX, ScoreFunction.defaultFor(config(3, null)));
        assertEquals(ScoreFunction.SIGMOID, ScoreFunction.defaultFor(config(1, null)));
        assertEquals(ScoreFunction.SIGMOID, ScoreFunction.defaultFor(config(3, ProblemType.MULTI_LABEL_CLASSIFICATION)));
        assertEquals(ScoreFunction.SOFTMAX, ScoreFunction.defaultFor(config(2, ProblemType.SINGLE_LABEL_CLASSIFICATION)));
        // transformers checks problem_type "regression" first: raw values, for one output or several.
        assertEquals(ScoreFunction.NONE, ScoreFunction.defaultFor(config(1, ProblemType.REGRESSION)));
        assertEquals(ScoreFunction.NONE, ScoreFunction.defaultFor(
                ModernBertDecoderConfig.builder().id2label(Map.of(0, "a", 1, "b")).problemType(ProblemType.REGRESSION).build()));
    }

    @Test
    void functionsByHand() {
        double[] soft = ScoreFunction.SOFTMAX.apply(new float[]{0f, (float) Math.log(3)});
        assertArrayEquals(new double[]{0.25, 0.75}, soft, 1e-7);
        assertArrayEquals(new double[]{0.5, 1 / (1 + Math.exp(-2))}, ScoreFunction.SIGMOID.apply(new float[]{0f, 2f}), 1e-12);
        assertArrayEquals(new double[]{-1.5, 2}, ScoreFunction.NONE.apply(new float[]{-1.5f, 2f}), 0);
        assertEquals(ScoreFunction.NONE, ScoreFunction.parse("None"));
        assertThrows(ModernBertException.class, () -> ScoreFunction.parse("tanh"));
    }
}
