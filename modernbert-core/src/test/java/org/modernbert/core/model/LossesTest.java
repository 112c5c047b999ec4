package org.modernbert.core.model;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossesTest {
    @Test
    void causalLmShiftsLabelsAndSkipsIgnored() {
        // 3 positions, vocab 2. Position t predicts labels[t+1]; labels[1] = -100 skips position 0.
        float[] logits = {0f, 0f, 1f, 3f, 2f, -1f};
        Losses.NllSum nll = Losses.causalLm(logits, 2, new int[]{0, -100, 0}, 0);
        assertEquals(1, nll.count());
        double expected = Math.log(Math.exp(1) + Math.exp(3)) - 1; // position 1, target 0
        assertEquals(expected, nll.mean(), 1e-12);
    }

    @Test
    void rowWithoutTargetsHasNoLoss() {
        assertTrue(Double.isNaN(Losses.causalLm(new float[]{1f, 2f}, 2, new int[]{1}, 0).mean()));
    }

    @Test
    void labelOutsideVocabularyIsNamed() {
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> Losses.causalLm(new float[4], 2, new int[]{0, 7}, 3));
        assertTrue(e.getMessage().contains("label 7 at row 3, position 1"), e.getMessage());
    }

    @Test
    void logSumExpIsStableForLargeLogits() {
        assertEquals(1000 + Math.log(2), Losses.logSumExp(new float[]{1000f, 1000f}, 0, 2), 1e-9);
    }

    @Test
    void classificationLossesMatchTheirDefinitions() {
        float[] logits = {2f, -1f};
        assertEquals(Math.log(Math.exp(2) + Math.exp(-1)) - 2, Losses.crossEntropyMean(logits, 2, new int[]{0}), 1e-12);
        assertEquals(((2 - 1.5) * (2 - 1.5) + (-1 - 0) * (-1 - 0)) / 2,
                Losses.meanSquaredError(logits, new float[][]{{1.5f, 0f}}), 1e-12);
        double bce = (-Math.log(1 / (1 + Math.exp(-2))) - Math.log(1 - 1 / (1 + Math.exp(1)))) / 2;
        assertEquals(bce, Losses.binaryCrossEntropyWithLogits(logits, new float[][]{{1f, 0f}}), 1e-12);
    }
}
