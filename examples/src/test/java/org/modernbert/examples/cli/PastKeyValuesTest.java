package org.modernbert.examples.cli;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.cache.DynamicCache;
import org.modernbert.api.model.AttentionWeights;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.ModernBert;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * past_key_values built from a padded batch keep transformers' layout, bad continuations are refused, and
 * padded batches refuse what they cannot compute.
 */
class PastKeyValuesTest {
    private static final int[] PREFIX = {347, 405, 46, 58, 484};
    private static final int[] NEXT = {386, 112};

    private static CausalLanguageModel load() {
        return ModernBert.loadCausalLM(ReferenceFixtures.modelDir("tiny-mbd"), "cpu");
    }

    @Test
    void aLeftPaddedCacheContinuesWithTransformersKeyLayout() {
        try (CausalLanguageModel m = load()) {
            CausalLmOutput unpadded;
            try (DynamicCache past = m.forward(ForwardRequest.ids(PREFIX).withUseCache(true)).pastKeyValues()) {
                unpadded = m.forward(ForwardRequest.ids(NEXT).withPastKeyValues(past).withOutputAttentions(true));
            }
            int[] padded = {1, 1, 1, 347, 405, 46, 58, 484};
            try (DynamicCache past = m.forward(ForwardRequest.ids(padded).withAttentionMask(List.of(new int[]{0, 0, 0, 1, 1, 1, 1, 1}))
                    .withUseCache(true)).pastKeyValues()) {
                assertEquals(8, past.seqLength(0), "transformers counts the pads");
                assertEquals(3, past.padOffset(0));
                CausalLmOutput out = m.forward(ForwardRequest.ids(NEXT).withPastKeyValues(past)
                        .withAttentionMask(List.of(new int[]{0, 0, 0, 1, 1, 1, 1, 1, 1, 1})).withOutputAttentions(true));
                assertEquals(10, past.seqLength(0), "the forward advanced the caller's cache");
                AttentionWeights a = out.attentions().getFirst().getFirst();
                AttentionWeights b = unpadded.attentions().getFirst().getFirst();
                assertEquals(2, a.queries());
                assertEquals(10, a.keys(), "kv length = past 8 (pads included) + 2");
                for (int h = 0; h < a.heads(); h++) {
                    for (int q = 0; q < 2; q++) {
                        for (int k = 0; k < 3; k++) {
                            assertEquals(0f, a.get(h, q, k), "a pad key gets no attention");
                        }
                        for (int k = 0; k < 7; k++) {
                            assertEquals(b.get(h, q, k), a.get(h, q, k + 3), 1e-6f, "head " + h + " query " + q + " key " + k);
                        }
                    }
                }
                // the padded row's positions are 3 later, and RoPE is relative: the same logits up to float rounding
                float[] x = out.logits().getFirst().data();
                float[] y = unpadded.logits().getFirst().data();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(y[i], x[i], 1e-3f + 1e-4f * Math.abs(y[i]), "logit " + i);
                }
            }
        }
    }

    @Test
    void aPastMaskThatContradictsTheCacheIsRefused() {
        try (CausalLanguageModel m = load();
             DynamicCache past = m.forward(ForwardRequest.ids(PREFIX).withUseCache(true)).pastKeyValues()) {
            ModernBertException e = assertThrows(ModernBertException.class, () -> m.forward(ForwardRequest.ids(NEXT)
                    .withPastKeyValues(past).withAttentionMask(List.of(new int[]{1, 0, 1, 1, 1, 1, 1}))));
            assertEquals("attention_mask row 0, past position 1 is 0 but the cache holds a token there: the past part of a"
                    + " mask must match the mask the cache was built with", e.getMessage());
            assertEquals(5, past.row(0).length(), "a refused forward leaves the cache alone");
            assertEquals(5, past.seqLength(0));
        }
    }

    @Test
    void aCacheFromAnotherModelIsRefusedBeforeAnyStep() {
        try (CausalLanguageModel a = load(); CausalLanguageModel b = load();
             DynamicCache past = a.forward(ForwardRequest.ids(List.of(PREFIX, PREFIX)).withUseCache(true)).pastKeyValues()) {
            ModernBertException e = assertThrows(ModernBertException.class,
                    () -> b.forward(ForwardRequest.ids(List.of(NEXT, NEXT)).withPastKeyValues(past)));
            assertTrue(e.getMessage().contains("another model"), e.getMessage());
            assertEquals(5, past.row(0).length());
            assertEquals(5, past.seqLength(0));
        }
    }

    @Test
    void aRightPaddedRowCannotBeContinued() {
        try (CausalLanguageModel m = load();
             DynamicCache past = m.forward(ForwardRequest.ids(new int[]{347, 405, 1, 1})
                     .withAttentionMask(List.of(new int[]{1, 1, 0, 0})).withUseCache(true)).pastKeyValues()) {
            ModernBertException e = assertThrows(ModernBertException.class,
                    () -> m.forward(ForwardRequest.ids(NEXT).withPastKeyValues(past)));
            assertTrue(e.getMessage().contains("right-padded"), e.getMessage());
        }
    }

    @Test
    void aLabelPredictedFromAPadPositionIsRefused() {
        try (CausalLanguageModel m = load()) {
            int[] ids = {1, 1, 347, 405, 46};
            List<int[]> mask = List.of(new int[]{0, 0, 1, 1, 1});
            ModernBertException e = assertThrows(ModernBertException.class, () -> m.forward(ForwardRequest.ids(ids)
                    .withAttentionMask(mask).withLabels(List.of(new int[]{-100, -100, 347, 405, 46}))));
            assertEquals("labels row 0, position 2 is 347 but position 1, which predicts it, is padding: set it to -100",
                    e.getMessage());
            CausalLmOutput ok = m.forward(ForwardRequest.ids(ids).withAttentionMask(mask)
                    .withLabels(List.of(new int[]{-100, -100, -100, 405, 46})));
            CausalLmOutput alone = m.forward(ForwardRequest.ids(new int[]{347, 405, 46}).withLabels(List.of(new int[]{-100, 405, 46})));
            // float rounding only: the padded row's keys sit in other attention blocks than the row's alone
            assertEquals(alone.loss(), ok.loss(), 1e-6 * Math.abs(alone.loss()), "the padded row's loss is the row's own");
        }
    }

    @Test
    void nonFiniteInputsEmbedsAreRefused() {
        try (CausalLanguageModel m = load()) {
            float[] row = new float[64];
            row[3] = Float.POSITIVE_INFINITY;
            ModernBertException e = assertThrows(ModernBertException.class, () -> m.forward(
                    ForwardRequest.embeds(List.of(new org.modernbert.api.model.FloatMatrix(1, 64, row)))));
            assertEquals("inputs_embeds[0][0][3] is Infinity: expected a finite number (a float32 holds at most about 3.4e38)",
                    e.getMessage());
        }
    }
}
