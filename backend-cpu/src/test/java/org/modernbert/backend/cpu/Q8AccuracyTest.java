package org.modernbert.backend.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.ModernBert;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.Generator;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How far Q8_0 weights (quantized at load) move the CPU backend's outputs from the float64 reference:
 * the logit error on the fixtures' forward cases and the agreement of greedy continuations. The
 * fixture's random weights are large on purpose (logit rms 8.4) and its greedy margins are tiny, so
 * rounding moves it a lot: measured max |error| 2.25 and mean 0.25 for Q8_0, against 0.99 and 0.08
 * for rounding the same weights to BF16 (Q8_0's step is ~2.8x BF16's relative step), and 26 of 44
 * greedy tokens before the first divergence (BF16: 7). The bounds are twice the Q8_0 figures, far
 * below what a real slip costs (a window off by one moves these logits by 26).
 */
class Q8AccuracyTest {
    private static final Logger LOG = LogManager.getLogger(Q8AccuracyTest.class);
    private static final BackendOptions Q8 = BackendOptions.defaults().withQuantize(WeightFormat.Q8_0);

    @Test
    void logitErrorAndGreedyAgreementOnTheFixtures() {
        JsonNode golden = ReferenceFixtures.golden("tiny-mbd");
        double maxError = 0;
        double sumError = 0;
        long count = 0;
        double logitScale = 0;
        int agreeing = 0;
        int total = 0;
        int exactSequences = 0;
        try (CausalLanguageModel q8 = ModernBert.loadCausalLM(ReferenceFixtures.modelDir("tiny-mbd"), "cpu", Q8)) {
            for (JsonNode c : golden.get("forward")) {
                List<int[]> rows = new ArrayList<>();
                c.get("input_ids").forEach(r -> rows.add(ints(r)));
                CausalLmOutput out = q8.forward(ForwardRequest.ids(rows));
                for (int r = 0; r < rows.size(); r++) {
                    float[] got = out.logits().get(r).data();
                    int i = 0;
                    for (JsonNode position : c.get("logits").get(r)) {
                        for (JsonNode v : position) {
                            double e = Math.abs(got[i++] - v.asDouble());
                            maxError = Math.max(maxError, e);
                            sumError += e;
                            logitScale += v.asDouble() * v.asDouble();
                            count++;
                        }
                    }
                }
            }
            Generator g = new Generator(q8, null);
            for (JsonNode c : golden.get("generate_greedy")) {
                int[] expected = ints(c.get("new_ids"));
                int[] got = g.generate(List.of(ints(c.get("prompt_ids"))),
                        GenerationConfig.builder().maxNewTokens(expected.length).build()).sequences().getFirst().newIds();
                int agree = 0;
                while (agree < expected.length && got[agree] == expected[agree]) {
                    agree++;
                }
                agreeing += agree;
                total += expected.length;
                exactSequences += agree == expected.length ? 1 : 0;
            }
        }
        double rms = Math.sqrt(logitScale / count);
        LOG.info("Q8_0 on tiny-mbd: max |logit error| {}, mean {}, logit rms {}; greedy: {}/{} tokens agree before the first"
                + " divergence, {}/{} sequences identical", maxError, sumError / count, rms, agreeing, total, exactSequences,
                golden.get("generate_greedy").size());
        assertTrue(maxError < 4.5, "Q8_0 max logit error " + maxError);
        assertTrue(sumError / count < 0.5, "Q8_0 mean logit error " + sumError / count);
        assertTrue(agreeing >= total * 0.3, "greedy agreement " + agreeing + "/" + total);
    }

    @Test
    void quantizedWeightsAreHalfOfBf16() {
        try (CausalLanguageModel q8 = ModernBert.loadCausalLM(ReferenceFixtures.modelDir("tiny-mbd"), "cpu", Q8)) {
            assertEquals(WeightFormat.Q8_0, q8.executor().weights().layers().getFirst().wq().format());
            assertEquals(WeightFormat.Q8_0, q8.executor().weights().tokenEmbeddings().format());
            assertEquals(WeightFormat.F32, q8.executor().weights().finalNorm().format(), "norms stay as stored");
            long bytes = q8.executor().weights().layers().getFirst().wq().data().byteSize();
            assertEquals(64L * 64 / 32 * 34, bytes);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
