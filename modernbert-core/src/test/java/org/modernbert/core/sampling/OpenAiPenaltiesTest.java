package org.modernbert.core.sampling;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** presence_penalty and frequency_penalty count the generated tokens only, as OpenAI and vLLM do. */
class OpenAiPenaltiesTest {

    @Test
    void presencePenaltySubtractsOncePerGeneratedToken() {
        // prompt: 0, 1 (not counted); generated: 2, 2, 3
        float[] s = {1f, 1f, 1f, 1f, 1f};
        new PresencePenalty(0.5).process(new int[]{0, 1, 2, 2, 3, 99}, 5, 2, s);
        assertArrayEquals(new float[]{1f, 1f, 0.5f, 0.5f, 1f}, s);
        // Reused: a second call starts from the new scores and penalizes only what is generated then.
        PresencePenalty p = new PresencePenalty(-1.0);
        float[] t = {0f, 0f, 0f};
        p.process(new int[]{0, 1}, 2, 1, t);
        p.process(new int[]{0, 2}, 2, 1, t);
        assertArrayEquals(new float[]{0f, 1f, 1f}, t);
    }

    @Test
    void frequencyPenaltyGrowsWithEachOccurrence() {
        float[] s = {1f, 1f, 1f, 1f, 1f};
        new FrequencyPenalty(0.5).process(new int[]{2, 0, 2, 2, 3}, 5, 1, s);
        // generated 0, 2, 2, 3: token 2 twice (the prompt's 2 does not count), 0 and 3 once
        assertArrayEquals(new float[]{0.5f, 1f, 0f, 0.5f, 1f}, s);
        FrequencyPenalty f = new FrequencyPenalty(1.0);
        float[] t = {0f, 0f};
        f.process(new int[]{1, 1}, 2, 0, t);
        f.process(new int[]{1}, 1, 0, t); // counts do not leak from the previous call
        assertArrayEquals(new float[]{0f, -3f}, t);
    }

    @Test
    void nothingGeneratedChangesNothing() {
        float[] s = {1f, 2f};
        new PresencePenalty(2).process(new int[]{0, 1}, 2, 2, s);
        new FrequencyPenalty(2).process(new int[]{0, 1}, 2, 2, s);
        assertArrayEquals(new float[]{1f, 2f}, s);
    }

    @Test
    void outOfRangeValuesAreRefused() {
        assertThrows(ModernBertException.class, () -> new PresencePenalty(2.5));
        assertThrows(ModernBertException.class, () -> new FrequencyPenalty(-2.01));
        assertThrows(ModernBertException.class, () -> new FrequencyPenalty(Double.NaN));
    }
}
