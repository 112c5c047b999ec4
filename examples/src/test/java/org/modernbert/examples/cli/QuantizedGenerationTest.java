package org.modernbert.examples.cli;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.ModernBert;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.Generator;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Q8_0 on the bundled trained model: greedy continuations quantized at load against the stored
 * BF16 weights, and the CLI flag end to end.
 */
class QuantizedGenerationTest {
    private static final Logger LOG = LogManager.getLogger(QuantizedGenerationTest.class);
    private static final List<String> PROMPTS = List.of("In the beginning", "And God said", "The LORD is my shepherd",
            "Blessed are the", "And it came to pass", "Thou shalt not", "For God so loved", "Let there be");

    @Test
    void greedyAgreementWithTheStoredWeights() {
        int tokens = 32;
        int agreeing = 0;
        int identical = 0;
        Tokenizer tokenizer = HuggingFaceTokenizer.load(GenerationEndToEndTest.KJV);
        try (CausalLanguageModel bf16 = ModernBert.loadCausalLM(GenerationEndToEndTest.KJV, "cpu");
             CausalLanguageModel q8 = ModernBert.loadCausalLM(GenerationEndToEndTest.KJV, "cpu",
                     BackendOptions.defaults().withQuantize(WeightFormat.Q8_0))) {
            double maxError = 0;
            double sumError = 0;
            double sumSquares = 0;
            long n = 0;
            for (String p : PROMPTS) {
                int[] ids = tokenizer.encodeForGeneration(p);
                float[] a = bf16.forward(org.modernbert.api.model.TokenBatch.of(ids)).logits().getFirst().data();
                float[] b = q8.forward(org.modernbert.api.model.TokenBatch.of(ids)).logits().getFirst().data();
                for (int i = 0; i < a.length; i++) {
                    double e = Math.abs(a[i] - b[i]);
                    maxError = Math.max(maxError, e);
                    sumError += e;
                    sumSquares += (double) a[i] * a[i];
                    n++;
                }
            }
            LOG.info("Q8_0 vs BF16 on kjv-mbd-4m logits: max |difference| {}, mean {}, logit rms {}", maxError, sumError / n,
                    Math.sqrt(sumSquares / n));
            // measured: max 0.083, mean 0.0085 against a logit rms of 3.5
            assertTrue(maxError < 0.25 && sumError / n < 0.025, "Q8_0 logits moved by up to " + maxError);
            GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(tokens).build();
            for (String p : PROMPTS) {
                int[] prompt = tokenizer.encodeForGeneration(p);
                int[] a = new Generator(bf16, null).generate(List.of(prompt), greedy).sequences().getFirst().newIds();
                int[] b = new Generator(q8, null).generate(List.of(prompt), greedy).sequences().getFirst().newIds();
                int same = 0;
                while (same < Math.min(a.length, b.length) && a[same] == b[same]) {
                    same++;
                }
                agreeing += same;
                identical += same == a.length && a.length == b.length ? 1 : 0;
            }
        }
        LOG.info("Q8_0 vs BF16 on kjv-mbd-4m: {}/{} greedy tokens agree before the first divergence, {}/{} continuations identical",
                agreeing, PROMPTS.size() * tokens, identical, PROMPTS.size());
        // measured: 256/256 tokens, 8/8 continuations identical
        assertTrue(agreeing >= PROMPTS.size() * tokens * 9 / 10, "Q8_0 greedy agreement " + agreeing);
    }

    @Test
    void generateWithQuantizeFlag() {
        CliRun run = CliRun.of("generate", "--model", GenerationEndToEndTest.KJV.toString(), "In the beginning", "--greedy",
                "--max-new-tokens", "8", "--quantize", "q8_0");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("In the beginning"), run.out());
        CliRun bad = CliRun.of("generate", "--model", GenerationEndToEndTest.KJV.toString(), "x", "--quantize", "q4_k");
        assertEquals(1, bad.exitCode());
        assertEquals("error: --quantize q4_k is not a weight format; use one of [f32, f16, bf16, q8_0]", bad.err().strip());
    }
}
