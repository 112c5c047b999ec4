package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.ModernBert;
import org.modernbert.core.generation.FinishReason;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.GenerationResult;
import org.modernbert.core.generation.Generator;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.ScoreFunction;
import org.modernbert.core.pipeline.TextClassificationPipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation with the KV cache on the CPU backend against the reference goldens (ids only). */
class GenerationEndToEndTest {
    static final Path KJV = Path.of("models/kjv-mbd-4m");

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).intValue();
        }
        return out;
    }

    private static GenerationConfig greedy(int maxNew) {
        return GenerationConfig.builder().maxNewTokens(maxNew).build(); // no eos: the goldens do not stop
    }

    @Test
    void tinyGreedyGoldensAloneAndBatched() {
        for (String fixture : ReferenceFixtures.CAUSAL_LM_MODELS) {
            JsonNode cases = ReferenceFixtures.golden(fixture).get("generate_greedy");
            try (CausalLanguageModel m = ModernBert.loadCausalLM(ReferenceFixtures.modelDir(fixture), "cpu")) {
                Generator g = new Generator(m, null);
                List<int[]> prompts = new ArrayList<>();
                int longest = 0;
                for (JsonNode c : cases) {
                    int[] prompt = ints(c.get("prompt_ids"));
                    prompts.add(prompt);
                    longest = Math.max(longest, c.get("max_new_tokens").intValue());
                    GenerationResult alone = g.generate(List.of(prompt), greedy(c.get("max_new_tokens").intValue()));
                    assertArrayEquals(ints(c.get("new_ids")), alone.sequences().getFirst().newIds(), fixture + " alone");
                    assertEquals(FinishReason.LENGTH, alone.sequences().getFirst().finishReason());
                }
                GenerationResult batched = g.generate(prompts, greedy(longest));
                for (int i = 0; i < cases.size(); i++) {
                    int[] expected = ints(cases.get(i).get("new_ids"));
                    assertArrayEquals(expected, Arrays.copyOf(batched.sequences().get(i).newIds(), expected.length),
                            fixture + " batched prompt " + i);
                }
            }
        }
    }

    @Test
    void bundledModelGoldenGreedyContinuations() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(KJV.resolve("golden.json").toFile());
        int steps = golden.get("greedy_steps").intValue();
        try (CausalLanguageModel m = ModernBert.loadCausalLM(KJV, "cpu")) {
            Generator g = new Generator(m, null);
            List<int[]> prompts = new ArrayList<>();
            List<int[]> expected = new ArrayList<>();
            for (JsonNode p : golden.get("prompts")) {
                prompts.add(ints(p.get("prompt_ids")));
                expected.add(ints(p.get("greedy_ids")));
                GenerationResult alone = g.generate(List.of(prompts.getLast()), greedy(steps));
                assertArrayEquals(expected.getLast(), alone.sequences().getFirst().newIds(), p.get("prompt").asText());
            }
            GenerationResult batched = g.generate(prompts, greedy(steps));
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(expected.get(i), batched.sequences().get(i).newIds(), "batched prompt " + i);
            }
            assertTrue(batched.promptTokensPerSecond() > 0 && batched.generatedTokensPerSecond() > 0);
        }
    }

    @Test
    void classifierScoresAreTheSoftmaxOfTheGoldenLogits() {
        JsonNode golden = ReferenceFixtures.golden(ReferenceFixtures.CLASSIFIER_MODEL).get("forward").get(0);
        List<int[]> rows = new ArrayList<>();
        golden.get("input_ids").forEach(r -> rows.add(ints(r)));
        try (SequenceClassifier m = ModernBert.loadSequenceClassifier(ReferenceFixtures.modelDir(ReferenceFixtures.CLASSIFIER_MODEL), "cpu");
             TextClassificationPipeline pipe = new TextClassificationPipeline(m, null)) {
            assertEquals(ScoreFunction.SOFTMAX, pipe.defaultFunction());
            List<List<LabelScore>> got = pipe.classifyIds(rows, null, null);
            String[] names = {"negative", "neutral", "positive"};
            for (int r = 0; r < rows.size(); r++) {
                JsonNode l = golden.get("logits").get(r);
                double max = Math.max(l.get(0).asDouble(), Math.max(l.get(1).asDouble(), l.get(2).asDouble()));
                double[] e = new double[3];
                double sum = 0;
                for (int i = 0; i < 3; i++) {
                    e[i] = Math.exp(l.get(i).asDouble() - max);
                    sum += e[i];
                }
                List<LabelScore> row = got.get(r);
                assertEquals(3, row.size());
                for (int k = 0; k < 3; k++) {
                    LabelScore s = row.get(k);
                    int id = Arrays.asList(names).indexOf(s.label());
                    assertEquals(e[id] / sum, s.score(), 1e-4, "row " + r + " " + s.label());
                    if (k > 0) {
                        assertTrue(row.get(k - 1).score() >= s.score(), "sorted by score");
                    }
                }
            }
            List<List<LabelScore>> top1 = pipe.classifyIds(rows, 1, null);
            assertEquals(got.getFirst().getFirst().label(), top1.getFirst().getFirst().label());
            assertEquals(got.getFirst().getFirst().score(), top1.getFirst().getFirst().score(), 1e-6);
            assertEquals(1, top1.getFirst().size());
        }
    }
}
