package org.modernbert.core.sampling;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogitsProcessorsTest {
    private static final float NEG = Float.NEGATIVE_INFINITY;

    /** log of the probabilities 0.5, 0.3, 0.15, 0.05 (shifted by 1 to show shift invariance). */
    private static float[] probsLogits() {
        return new float[]{(float) Math.log(0.5) + 1, (float) Math.log(0.3) + 1, (float) Math.log(0.15) + 1,
                (float) Math.log(0.05) + 1};
    }

    private static boolean[] kept(float[] s) {
        boolean[] k = new boolean[s.length];
        for (int i = 0; i < s.length; i++) {
            k[i] = s[i] != NEG;
        }
        return k;
    }

    @Test
    void repetitionPenaltyDividesPositiveMultipliesNegativeOncePerToken() {
        float[] s = {2f, -2f, 1f, 0.5f};
        new RepetitionPenalty(2.0).process(new int[]{0, 1, 1, 9}, 3, 1, s);
        assertArrayEquals(new float[]{1f, -4f, 1f, 0.5f}, s);
        // The stamp array is reused: a second call penalizes again from fresh scores.
        RepetitionPenalty p = new RepetitionPenalty(0.5);
        float[] t = {2f, -2f};
        p.process(new int[]{0}, 1, 1, t);
        p.process(new int[]{1}, 1, 1, t);
        assertArrayEquals(new float[]{4f, -1f}, t);
    }

    @Test
    void noRepeatNGramBansCompletionsOfSeenNGrams() {
        float[] s = new float[5];
        new NoRepeatNGram(2).process(new int[]{1, 2, 3, 1}, 4, 1, s);
        assertArrayEquals(new float[]{0, 0, NEG, 0, 0}, s);
        float[] t = new float[5];
        new NoRepeatNGram(3).process(new int[]{1, 2, 3, 1, 2, 4, 1, 2}, 8, 1, t);
        assertArrayEquals(new float[]{0, 0, 0, NEG, NEG}, t);
        float[] u = new float[5];
        new NoRepeatNGram(3).process(new int[]{1}, 1, 1, u);
        assertArrayEquals(new float[5], u);
    }

    @Test
    void minNewTokensMasksEveryEosUntilEnoughNewTokens() {
        MinNewTokens m = new MinNewTokens(2, new int[]{1, 3});
        float[] s = {1, 1, 1, 1};
        m.process(new int[]{0, 0, 5}, 3, 2, s);
        assertArrayEquals(new float[]{1, NEG, 1, NEG}, s);
        float[] t = {1, 1, 1, 1};
        m.process(new int[]{0, 0, 5, 6}, 4, 2, t);
        assertArrayEquals(new float[]{1, 1, 1, 1}, t);
    }

    @Test
    void temperatureDivides() {
        float[] s = {2f, -4f};
        new Temperature(2.0).process(null, 0, 0, s);
        assertArrayEquals(new float[]{1f, -2f}, s);
    }

    @Test
    void topKKeepsTheKLargestAndTiesWithTheKth() {
        float[] s = {1, 4, 2, 3};
        new TopK(2).process(null, 0, 0, s);
        assertArrayEquals(new float[]{NEG, 4, NEG, 3}, s);
        float[] t = {1, 3, 2, 3, 3};
        new TopK(2).process(null, 0, 0, t);
        assertArrayEquals(new float[]{NEG, 3, NEG, 3, 3}, t);
        float[] u = {1, 2};
        new TopK(5).process(null, 0, 0, u);
        assertArrayEquals(new float[]{1, 2}, u);
    }

    @Test
    void topPRemovesTheTailBelowOneMinusP() {
        // Ascending: 0.05 (cum 0.05 <= 0.3 removed), 0.15 (cum 0.2 removed), 0.3 (cum 0.5 kept), 0.5 kept.
        float[] s = probsLogits();
        new TopP(0.7).process(null, 0, 0, s);
        assertArrayEquals(new boolean[]{true, true, false, false}, kept(s));
        float[] t = probsLogits();
        new TopP(0.9).process(null, 0, 0, t);
        assertArrayEquals(new boolean[]{true, true, true, false}, kept(t));
        // The top token always survives.
        float[] u = probsLogits();
        new TopP(0.01).process(null, 0, 0, u);
        assertArrayEquals(new boolean[]{true, false, false, false}, kept(u));
    }

    @Test
    void minPRemovesTokensBelowMinPTimesTheTopProbability() {
        float[] s = probsLogits();
        new MinP(0.2).process(null, 0, 0, s); // threshold 0.1
        assertArrayEquals(new boolean[]{true, true, true, false}, kept(s));
        float[] t = probsLogits();
        new MinP(0.7).process(null, 0, 0, t); // threshold 0.35
        assertArrayEquals(new boolean[]{true, false, false, false}, kept(t));
    }

    @Test
    void typicalKeepsTokensClosestToTheEntropy() {
        // H = 1.1422 nats; |-log p - H| = 0.449, 0.062, 0.755, 1.854: order 1, 0, 2, 3, cumulative
        // 0.3, 0.8, 0.95, 1.0. mass 0.9 keeps the first three, mass 0.5 the first two.
        float[] s = probsLogits();
        new TypicalP(0.9).process(null, 0, 0, s);
        assertArrayEquals(new boolean[]{true, true, true, false}, kept(s));
        float[] t = probsLogits();
        new TypicalP(0.5).process(null, 0, 0, t);
        assertArrayEquals(new boolean[]{true, true, false, false}, kept(t));
        float[] u = probsLogits();
        new TypicalP(0.1).process(null, 0, 0, u);
        assertArrayEquals(new boolean[]{false, true, false, false}, kept(u));
    }

    @Test
    void argmaxTakesTheLowestIndexOnTies() {
        assertEquals(1, Sampler.argmax(new float[]{1, 3, 3, NEG}));
        assertEquals(0, Sampler.argmax(new float[]{NEG, NEG}));
    }

    @Test
    void samplingNeverDrawsRemovedTokensAndRejectsAllMasked() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 1000; i++) {
            int t = Sampler.sample(new float[]{NEG, 0f, NEG, 0.5f}, rng);
            assertTrue(t == 1 || t == 3);
        }
        assertThrows(ModernBertException.class, () -> Sampler.sample(new float[]{NEG, NEG}, rng));
    }

    @Test
    void invalidParametersNameTheField() {
        assertTrue(assertThrows(ModernBertException.class, () -> new Temperature(0)).getMessage().contains("temperature"));
        assertTrue(assertThrows(ModernBertException.class, () -> new TopP(0)).getMessage().contains("top_p"));
        assertTrue(assertThrows(ModernBertException.class, () -> new TopP(1.5)).getMessage().contains("top_p"));
        assertTrue(assertThrows(ModernBertException.class, () -> new MinP(-0.1)).getMessage().contains("min_p"));
        assertTrue(assertThrows(ModernBertException.class, () -> new TypicalP(0)).getMessage().contains("typical_p"));
        assertTrue(assertThrows(ModernBertException.class, () -> new RepetitionPenalty(0)).getMessage().contains("repetition_penalty"));
        assertTrue(assertThrows(ModernBertException.class, () -> new TopK(-1)).getMessage().contains("top_k"));
        assertTrue(assertThrows(ModernBertException.class, () -> new NoRepeatNGram(0)).getMessage().contains("no_repeat_ngram_size"));
    }

    @Test
    void standardListFollowsTransformersOrder() {
        LogitsProcessorList all = LogitsProcessorList.standard(1.2, 3, 2, new int[]{1}, true, 0.7, 40, 0.9, 0.05, 0.95);
        assertEquals(List.of(RepetitionPenalty.class, NoRepeatNGram.class, MinNewTokens.class, Temperature.class,
                TopK.class, TopP.class, MinP.class, TypicalP.class),
                all.processors().stream().map(Object::getClass).toList());
        // Greedy: no warpers; neutral values switch stages off.
        LogitsProcessorList greedy = LogitsProcessorList.standard(1.0, 0, 0, new int[]{1}, false, 0.7, 40, 0.9, 0.05, 0.95);
        assertTrue(greedy.processors().isEmpty());
        LogitsProcessorList noEos = LogitsProcessorList.standard(1.0, 0, 5, new int[0], true, 1.0, 0, 1.0, null, 1.0);
        assertTrue(noEos.processors().isEmpty());
    }
}
