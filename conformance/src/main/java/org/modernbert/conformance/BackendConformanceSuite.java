package org.modernbert.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.ClassifierOutput;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.core.ModernBert;
import org.modernbert.core.backend.BackendRegistry;
import org.modernbert.core.sampling.Sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks every backend must pass, against the reference fixtures. A backend module runs it by
 * extending this class in its tests and naming itself:
 *
 * <pre>{@code class CpuConformanceTest extends BackendConformanceSuite {
 *     protected String backendName() { return "cpu"; }
 * }}</pre>
 *
 * When the backend's probe says it is unavailable here (no device, no runtime), every check is
 * skipped, not failed, with the probe's reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendConformanceSuite {

    /** The backend under test, as its provider names it. */
    protected abstract String backendName();

    @BeforeAll
    void backendMustBeAvailable() {
        Availability availability = BackendRegistry.discover().probeAll().stream()
                .filter(p -> p.name().equals(backendName()))
                .map(BackendRegistry.ProbedProvider::availability)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no backend provider named '" + backendName() + "' is installed"));
        Assumptions.assumeTrue(availability.available(), () -> "backend " + backendName() + " unavailable: " + availability.detail());
    }

    static List<String> causalModels() {
        return ReferenceFixtures.CAUSAL_LM_MODELS;
    }

    private CausalLanguageModel causalLm(String fixture) {
        return ModernBert.loadCausalLM(ReferenceFixtures.modelDir(fixture), backendName());
    }

    // ---- forward: logits, hidden states, losses ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("causalModels")
    void forwardMatchesReferenceForEveryRaggedBatch(String fixture) {
        JsonNode golden = ReferenceFixtures.golden(fixture);
        try (CausalLanguageModel model = causalLm(fixture)) {
            int caseIndex = 0;
            for (JsonNode c : golden.get("forward")) {
                TokenBatch batch = batch(c.get("input_ids"));
                List<int[]> labels = rows(c.get("labels"));
                CausalLmOutput out = model.forward(ForwardRequest.of(batch).withLabels(labels));
                double lossSum = 0;
                int targets = 0;
                for (int r = 0; r < batch.size(); r++) {
                    String where = fixture + " case " + caseIndex + " row " + r;
                    Tolerance.ACTIVATIONS.assertClose(where + " logits", c.get("logits").get(r), out.logits().get(r).data());
                    Tolerance.ACTIVATIONS.assertClose(where + " last_hidden_state", c.get("last_hidden_state").get(r),
                            out.lastHiddenState().get(r).data());
                    JsonNode expectedLoss = c.get("loss_per_sequence").get(r);
                    if (expectedLoss.isNull()) {
                        assertTrue(Double.isNaN(out.lossPerRow()[r]), where + ": a row without targets has no loss");
                    } else {
                        Tolerance.LOSS.assertClose(where + " loss", expectedLoss.asDouble(), out.lossPerRow()[r]);
                        int n = countTargets(labels.get(r));
                        lossSum += expectedLoss.asDouble() * n;
                        targets += n;
                    }
                }
                // The batch loss is HF's mean over every kept target of every row.
                Tolerance.LOSS.assertClose(fixture + " case " + caseIndex + " batch loss", lossSum / targets, out.loss());
                caseIndex++;
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("causalModels")
    void eachRowAloneEqualsTheRowInsideTheBatch(String fixture) {
        JsonNode golden = ReferenceFixtures.golden(fixture);
        try (CausalLanguageModel model = causalLm(fixture)) {
            for (JsonNode c : golden.get("forward")) {
                List<int[]> rows = rows(c.get("input_ids"));
                for (int r = 0; r < rows.size(); r++) {
                    CausalLmOutput alone = model.forward(TokenBatch.of(rows.get(r)));
                    Tolerance.ACTIVATIONS.assertClose(fixture + " row " + r + " alone", c.get("logits").get(r),
                            alone.logits().get(0).data());
                    assertNull(alone.loss(), "no labels, no loss");
                }
            }
        }
    }

    @Test
    void autoModelPicksTheClassFromArchitectures() {
        try (DecoderModel lm = ModernBert.load(ReferenceFixtures.modelDir("tiny-mbd"), backendName());
             DecoderModel cls = ModernBert.load(ReferenceFixtures.modelDir(ReferenceFixtures.CLASSIFIER_MODEL), backendName())) {
            assertInstanceOf(CausalLanguageModel.class, lm);
            assertInstanceOf(SequenceClassifier.class, cls);
            assertEquals(backendName(), lm.backendName());
            JsonNode c = ReferenceFixtures.golden("tiny-mbd").get("forward").get(0);
            Tolerance.ACTIVATIONS.assertClose("base-model hidden states", c.get("last_hidden_state").get(0),
                    lm.forwardHidden(batch(c.get("input_ids"))).lastHiddenState().get(0).data());
        }
    }

    // ---- classification ----

    @Test
    void classifierPoolsAtTheLastTokenOfEachRow() {
        JsonNode golden = ReferenceFixtures.golden(ReferenceFixtures.CLASSIFIER_MODEL).get("forward").get(0);
        try (SequenceClassifier model = ModernBert.loadSequenceClassifier(
                ReferenceFixtures.modelDir(ReferenceFixtures.CLASSIFIER_MODEL), backendName())) {
            TokenBatch batch = batch(golden.get("input_ids"));
            ClassifierOutput out = model.classify(batch);
            Tolerance.ACTIVATIONS.assertClose("tiny-mbd-cls pooled logits", golden.get("logits"), out.logits().data());
            assertEquals("positive", model.config().id2label().get(2));

            // Cross-entropy over the golden logits, computed independently here.
            int[] classes = {0, 2, 1};
            double expected = 0;
            for (int r = 0; r < 3; r++) {
                JsonNode row = golden.get("logits").get(r);
                double max = Double.NEGATIVE_INFINITY;
                for (JsonNode v : row) {
                    max = Math.max(max, v.asDouble());
                }
                double sum = 0;
                for (JsonNode v : row) {
                    sum += Math.exp(v.asDouble() - max);
                }
                expected += max + Math.log(sum) - row.get(classes[r]).asDouble();
            }
            Tolerance.LOSS.assertClose("tiny-mbd-cls cross-entropy", expected / 3, model.classify(batch, classes).loss());
        }
    }

    // ---- generation with the KV cache ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("causalModels")
    void greedyWithCacheReproducesReferenceOneSequenceAtATime(String fixture) {
        JsonNode golden = ReferenceFixtures.golden(fixture);
        try (CausalLanguageModel model = causalLm(fixture)) {
            for (JsonNode g : golden.get("generate_greedy")) {
                int[] prompt = ints(g.get("prompt_ids"));
                int[] expected = ints(g.get("new_ids"));
                int[][] got = greedy(model.executor(), List.of(prompt), expected.length);
                assertArrayEquals(expected, got[0], fixture + " greedy continuation of " + Arrays.toString(prompt));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("causalModels")
    void greedyWithCacheReproducesReferenceBatched(String fixture) {
        JsonNode golden = ReferenceFixtures.golden(fixture);
        List<int[]> prompts = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        for (JsonNode g : golden.get("generate_greedy")) {
            prompts.add(ints(g.get("prompt_ids")));
            expected.add(ints(g.get("new_ids")));
        }
        int[] steps = expected.stream().mapToInt(e -> e.length).toArray();
        assertTrue(Arrays.stream(steps).distinct().count() > 1, "the fixture's prompts should finish at different steps");
        try (CausalLanguageModel model = causalLm(fixture)) {
            int[][] got = greedy(model.executor(), prompts, steps);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(expected.get(i), got[i], fixture + " batched greedy (finished ones drop out), prompt " + i);
            }
        }
    }

    @Test
    void fullVocabularyModelReproducesReferenceGreedy() {
        JsonNode golden = ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL);
        try (CausalLanguageModel model = causalLm(ReferenceFixtures.END_TO_END_MODEL)) {
            for (JsonNode g : golden) {
                int[] expected = ints(g.get("new_ids"));
                int[][] got = greedy(model.executor(), List.of(ints(g.get("prompt_ids"))), expected.length);
                assertArrayEquals(expected, got[0], "tiny-mbd-e2e greedy for \"" + g.get("text").asText() + "\"");
            }
        }
    }

    @Test
    void clearedCacheGivesTheSameContinuation() {
        JsonNode g = ReferenceFixtures.golden("tiny-mbd").get("generate_greedy").get(0);
        try (CausalLanguageModel model = causalLm("tiny-mbd")) {
            ModelExecutor executor = model.executor();
            int[] prompt = ints(g.get("prompt_ids"));
            try (KvCache cache = executor.newCache(prompt.length + 4)) {
                float[] first = executor.step(List.of(SequenceInput.tokens(cache, prompt))).getFirst().logits();
                assertEquals(prompt.length, cache.length());
                cache.clear();
                assertEquals(0, cache.length());
                float[] again = executor.step(List.of(SequenceInput.tokens(cache, prompt))).getFirst().logits();
                assertArrayEquals(first, again, 0f, "same prompt after clear()");
            }
        }
    }

    // ---- bad input never reaches the kernels ----

    @Test
    void tokenIdOutsideTheVocabularyIsRejectedWithItsPosition() {
        try (CausalLanguageModel model = causalLm("tiny-mbd")) {
            ModernBertException e = assertThrows(ModernBertException.class,
                    () -> model.forward(TokenBatch.of(new int[]{5, 6}, new int[]{7, 512, 8})));
            assertTrue(e.getMessage().contains("512") && e.getMessage().contains("row 1") && e.getMessage().contains("position 1"),
                    e.getMessage());
        }
    }

    @Test
    void rowLongerThanMaxPositionEmbeddingsIsRejected() {
        try (CausalLanguageModel model = causalLm("tiny-mbd")) {
            int[] tooLong = new int[model.config().maxPositionEmbeddings() + 1];
            Arrays.fill(tooLong, 7);
            ModernBertException e = assertThrows(ModernBertException.class, () -> model.forward(TokenBatch.of(tooLong)));
            assertTrue(e.getMessage().contains("max_position_embeddings") && e.getMessage().contains("513"), e.getMessage());
        }
    }

    @Test
    void cacheRefusesToGrowPastItsMaximum() {
        try (CausalLanguageModel model = causalLm("tiny-mbd");
             KvCache cache = model.executor().newCache(3)) {
            ModelExecutor executor = model.executor();
            executor.step(List.of(SequenceInput.tokens(cache, 4, 5, 6).withHead(Head.NONE)));
            assertThrows(ModernBertException.class, () -> executor.step(List.of(SequenceInput.tokens(cache, 7))));
        }
    }

    // ---- helpers ----

    /** Greedy decoding of one or more prompts for the same number of steps. */
    static int[][] greedy(ModelExecutor executor, List<int[]> prompts, int steps) {
        int[] counts = new int[prompts.size()];
        Arrays.fill(counts, steps);
        return greedy(executor, prompts, counts);
    }

    /**
     * Greedy decoding with per-sequence caches: the ragged prompts are prefilled in one step, then
     * every unfinished sequence advances one token per step; a sequence that has its
     * {@code steps[i]} tokens drops out of the next steps.
     */
    static int[][] greedy(ModelExecutor executor, List<int[]> prompts, int[] steps) {
        int n = prompts.size();
        int[][] out = new int[n][];
        List<KvCache> caches = new ArrayList<>();
        try {
            List<SequenceInput> batch = new ArrayList<>();
            List<Integer> active = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out[i] = new int[steps[i]];
                KvCache cache = executor.newCache(prompts.get(i).length + steps[i]);
                caches.add(cache);
                batch.add(SequenceInput.tokens(cache, prompts.get(i)));
                active.add(i);
            }
            int[] produced = new int[n];
            while (!active.isEmpty()) {
                List<SequenceOutput> result = executor.step(batch);
                List<SequenceInput> next = new ArrayList<>();
                List<Integer> stillActive = new ArrayList<>();
                for (int j = 0; j < active.size(); j++) {
                    int i = active.get(j);
                    int token = Sampler.argmax(result.get(j).logits());
                    out[i][produced[i]++] = token;
                    if (produced[i] < steps[i]) {
                        stillActive.add(i);
                        next.add(SequenceInput.tokens(caches.get(i), token));
                    }
                }
                active = stillActive;
                batch = next;
            }
        } finally {
            caches.forEach(KvCache::close);
        }
        return out;
    }


    static TokenBatch batch(JsonNode rows) {
        return new TokenBatch(rows(rows));
    }

    static List<int[]> rows(JsonNode rows) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode r : rows) {
            out.add(ints(r));
        }
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static int countTargets(int[] labels) {
        int n = 0;
        for (int t = 1; t < labels.length; t++) {
            if (labels[t] != -100) {
                n++;
            }
        }
        return n;
    }
}
