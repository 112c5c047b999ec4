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
    void numReturnSequencesPrefillsOnceAndEveryForkedCopyContinuesCorrectly() {
        try (CausalLanguageModel m = ModernBert.loadCausalLM(KJV, "cpu")) {
            CountingExecutor counted = new CountingExecutor(m.executor());
            Generator g = new Generator(counted, m.config().vocabSize(), m.config().maxPositionEmbeddings(), null);
            int[] prompt = {4091, 1141, 258, 2245, 306, 17, 1200};
            // top-k 1 sampling is greedy: each of the 4 copies, on its own forked cache, must give the greedy text
            GenerationConfig four = GenerationConfig.builder().maxNewTokens(12).doSample(true).topK(1).seed(5L)
                    .numReturnSequences(4).build();
            GenerationResult r = g.generate(List.of(prompt), four);
            assertEquals(prompt.length, counted.stepTokens.getFirst(), "the prompt is prefilled once for 4 copies");
            assertEquals(List.of(1, 4), counted.stepSequences.subList(0, 2));
            assertEquals(prompt.length + 4 * 11, counted.stepTokens.stream().mapToInt(Integer::intValue).sum());
            int[] greedy = new Generator(m, null).generate(List.of(prompt), greedy(12)).sequences().getFirst().newIds();
            assertEquals(4, r.sequences().size());
            for (int c = 0; c < 4; c++) {
                assertArrayEquals(greedy, r.sequences().get(c).newIds(), "copy " + c);
            }
        }
    }

    @Test
    void generateCommandWithFourReturnSequencesPrefillsThePromptOnce() throws IOException {
        CliRun run = CliRun.of("generate", "--model", KJV.toString(), "--prompt-ids", "4091,1141,258,2245",
                "--sample", "--top-k", "1", "--num-return-sequences", "4", "--max-new-tokens", "6", "--seed", "3", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode all = new ObjectMapper().readTree(run.out());
        assertEquals(4, all.size());
        for (JsonNode s : all) {
            assertEquals(4, s.get("prompt_tokens").intValue());
            assertEquals(4, s.get("prefilled_tokens").intValue(), "4 prompt tokens computed for the whole request");
            assertEquals(all.get(0).get("new_ids"), s.get("new_ids"), "top-k 1: every copy is the greedy text");
        }
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
