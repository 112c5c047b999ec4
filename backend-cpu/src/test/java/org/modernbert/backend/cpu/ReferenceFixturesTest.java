package org.modernbert.backend.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.HeadMode;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceStep;
import org.modernbert.api.backend.StepResult;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.loading.CheckpointLoader;
import org.modernbert.core.loading.LoadedCheckpoint;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU backend on the real fixture checkpoints against the float64 transformers goldens
 * (|a-b| <= 1e-3 + 1e-4|b|), and greedy generation with the KV cache against generate_greedy.
 */
class ReferenceFixturesTest {
    private static final double ATOL = 1e-3;
    private static final double RTOL = 1e-4;
    private static CpuBackend backend;

    @BeforeAll
    static void setUp() {
        backend = new CpuBackend(BackendOptions.defaults());
    }

    @AfterAll
    static void tearDown() {
        backend.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-mbd", "tiny-mbd-bf16", "tiny-mbd-f16"})
    void forwardMatchesGoldenLogitsAndHiddenStates(String name) {
        JsonNode golden = ReferenceFixtures.golden(name);
        try (LoadedCheckpoint ckpt = CheckpointLoader.load(ReferenceFixtures.modelDir(name), HeadWeights.HeadKind.LANGUAGE_MODEL);
             ModelExecutor ex = backend.load(ckpt.weights())) {
            double worstLogit = 0;
            double worstHidden = 0;
            for (JsonNode fwd : golden.get("forward")) {
                List<int[]> rows = rows(fwd.get("input_ids"));
                List<KvCache> caches = new ArrayList<>();
                List<SequenceStep> steps = new ArrayList<>();
                for (int[] r : rows) {
                    KvCache c = ex.newCache(r.length);
                    caches.add(c);
                    steps.add(new SequenceStep(c, r));
                }
                // every row of the case in one ragged step
                StepResult res = ex.step(steps, true, HeadMode.ALL);
                for (int row = 0; row < rows.size(); row++) {
                    worstLogit = Math.max(worstLogit, compare(fwd.get("logits").get(row), res.headOutputs().get(row), name + " logits row " + row));
                    worstHidden = Math.max(worstHidden, compare(fwd.get("last_hidden_state").get(row), res.hiddenStates().get(row),
                            name + " hidden row " + row));
                }
                caches.forEach(KvCache::close);
            }
            System.out.printf("%s: max |logit error| %.3g, max |hidden error| %.3g%n", name, worstLogit, worstHidden);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-mbd", "tiny-mbd-bf16", "tiny-mbd-f16"})
    void greedyGenerationWithTheCacheMatchesGolden(String name) {
        JsonNode golden = ReferenceFixtures.golden(name);
        try (LoadedCheckpoint ckpt = CheckpointLoader.load(ReferenceFixtures.modelDir(name), HeadWeights.HeadKind.LANGUAGE_MODEL);
             ModelExecutor ex = backend.load(ckpt.weights())) {
            int window = ckpt.config().slidingWindow();
            for (JsonNode g : golden.get("generate_greedy")) {
                int[] prompt = ints(g.get("prompt_ids"));
                int[] expected = ints(g.get("new_ids"));
                assertTrue(prompt.length + expected.length > 2 * window, "the case runs past the sliding window");
                try (KvCache cache = ex.newCache(prompt.length + expected.length)) {
                    int[] got = new int[expected.length];
                    float[] logits = ex.step(List.of(new SequenceStep(cache, prompt)), false, HeadMode.LAST).headOutputs().get(0);
                    for (int i = 0; i < expected.length; i++) {
                        got[i] = argmax(logits);
                        if (i + 1 < expected.length) {
                            logits = ex.step(List.of(new SequenceStep(cache, new int[]{got[i]})), false, HeadMode.LAST).headOutputs().get(0);
                        }
                    }
                    assertArrayEquals(expected, got, name + " greedy continuation of " + prompt.length + " prompt tokens");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-mbd", "tiny-mbd-bf16", "tiny-mbd-f16"})
    void batchedGreedyGenerationMatchesGolden(String name) {
        JsonNode cases = ReferenceFixtures.golden(name).get("generate_greedy");
        try (LoadedCheckpoint ckpt = CheckpointLoader.load(ReferenceFixtures.modelDir(name), HeadWeights.HeadKind.LANGUAGE_MODEL);
             ModelExecutor ex = backend.load(ckpt.weights())) {
            int n = cases.size();
            KvCache[] caches = new KvCache[n];
            int[][] expected = new int[n][];
            int[][] got = new int[n][];
            int[] produced = new int[n];
            List<SequenceStep> steps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int[] prompt = ints(cases.get(i).get("prompt_ids"));
                expected[i] = ints(cases.get(i).get("new_ids"));
                got[i] = new int[expected[i].length];
                caches[i] = ex.newCache(prompt.length + expected[i].length);
                steps.add(new SequenceStep(caches[i], prompt));
            }
            List<Integer> active = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                active.add(i);
            }
            // ragged prompts prefilled together, then one token per sequence per step; finished ones drop out
            while (!active.isEmpty()) {
                List<float[]> logits = ex.step(steps, false, HeadMode.LAST).headOutputs();
                List<Integer> still = new ArrayList<>();
                List<SequenceStep> next = new ArrayList<>();
                for (int j = 0; j < active.size(); j++) {
                    int i = active.get(j);
                    int tok = argmax(logits.get(j));
                    got[i][produced[i]++] = tok;
                    if (produced[i] < expected[i].length) {
                        still.add(i);
                        next.add(new SequenceStep(caches[i], new int[]{tok}));
                    }
                }
                active = still;
                steps = next;
            }
            for (int i = 0; i < n; i++) {
                assertArrayEquals(expected[i], got[i], name + " batched greedy case " + i);
                caches[i].close();
            }
        }
    }

    @Test
    void fullVocabularyModelGreedyIdsMatchGolden() {
        String name = ReferenceFixtures.END_TO_END_MODEL;
        JsonNode cases = ReferenceFixtures.golden(name);
        try (LoadedCheckpoint ckpt = CheckpointLoader.load(ReferenceFixtures.modelDir(name), HeadWeights.HeadKind.LANGUAGE_MODEL);
             ModelExecutor ex = backend.load(ckpt.weights())) {
            for (JsonNode g : cases) {
                int[] prompt = ints(g.get("prompt_ids"));
                int[] expected = ints(g.get("new_ids"));
                try (KvCache cache = ex.newCache(prompt.length + expected.length)) {
                    int[] got = new int[expected.length];
                    int[] next = prompt;
                    for (int i = 0; i < expected.length; i++) {
                        float[] logits = ex.step(List.of(new SequenceStep(cache, next)), false, HeadMode.LAST).headOutputs().get(0);
                        assertEquals(ckpt.config().vocabSize(), logits.length);
                        got[i] = argmax(logits);
                        next = new int[]{got[i]};
                    }
                    assertArrayEquals(expected, got, name + ": " + g.get("text").asText());
                }
            }
        }
    }

    @Test
    void classifierPooledLogitsMatchGolden() {
        String name = ReferenceFixtures.CLASSIFIER_MODEL;
        JsonNode fwd = ReferenceFixtures.golden(name).get("forward").get(0);
        try (LoadedCheckpoint ckpt = CheckpointLoader.load(ReferenceFixtures.modelDir(name), HeadWeights.HeadKind.CLASSIFIER);
             ModelExecutor ex = backend.load(ckpt.weights())) {
            List<int[]> rows = rows(fwd.get("input_ids"));
            List<SequenceStep> steps = new ArrayList<>();
            for (int[] r : rows) {
                steps.add(new SequenceStep(ex.newCache(r.length), r));
            }
            StepResult res = ex.step(steps, false, HeadMode.LAST);
            double worst = 0;
            for (int row = 0; row < rows.size(); row++) {
                assertEquals(ckpt.config().numLabels(), res.headOutputs().get(row).length);
                worst = Math.max(worst, compare(fwd.get("logits").get(row), res.headOutputs().get(row), name + " row " + row));
            }
            System.out.printf("%s: max |pooled logit error| %.3g%n", name, worst);
        }
    }

    /** Checks one row (nested arrays flattened) and returns the largest absolute error. */
    private static double compare(JsonNode expected, float[] actual, String what) {
        List<Double> flat = new ArrayList<>();
        flatten(expected, flat);
        assertEquals(flat.size(), actual.length, what + ": number of values");
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double b = flat.get(i);
            double err = Math.abs(actual[i] - b);
            assertTrue(err <= ATOL + RTOL * Math.abs(b), what + " at flat index " + i + ": " + actual[i] + " vs " + b);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    private static void flatten(JsonNode n, List<Double> out) {
        if (n.isArray()) {
            n.forEach(c -> flatten(c, out));
        } else {
            out.add(n.asDouble());
        }
    }

    private static List<int[]> rows(JsonNode ids) {
        List<int[]> rows = new ArrayList<>();
        ids.forEach(r -> rows.add(ints(r)));
        return rows;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
