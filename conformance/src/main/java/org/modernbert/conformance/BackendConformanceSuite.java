package org.modernbert.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.DynamicCache;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.AttentionWeights;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.ClassifierOutput;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.conformance.Check.Measure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.modernbert.conformance.Comparison.Quantity.ATTENTIONS;
import static org.modernbert.conformance.Comparison.Quantity.HIDDEN_STATES;
import static org.modernbert.conformance.Comparison.Quantity.LOGITS;
import static org.modernbert.conformance.Comparison.Quantity.LOSS;
import static org.modernbert.conformance.Comparison.Quantity.TOKEN_IDS;

/**
 * The conformance kit: every check a backend must pass, against the reference fixtures. A backend
 * module runs it by extending this class in its tests and naming itself:
 *
 * <pre>{@code class MyBackendConformanceTest extends BackendConformanceSuite {
 *     protected String backendName() { return "mine"; }
 * }}</pre>
 *
 * Optionally override {@link #options()} (threads, device, quantization), {@link #provider()} (a
 * provider that is not registered) and the tolerance hook {@link #tolerance}. When the backend's probe
 * says it is unavailable here (no device, no runtime), every check is skipped with the probe's reason.
 *
 * <p>The executor-level checks are inherited from {@link ExecutorChecks}; this class adds the
 * model-level ones: the model classes ({@code ModernBert.load}, {@code forward(ForwardRequest)},
 * the classifier) and greedy generation with the cache, against {@code golden.json} and
 * {@code golden-kwargs.json}. {@code ./modernbert conformance --backend NAME} runs the same checks
 * outside a build ({@link ConformanceRunner}).
 */
public abstract class BackendConformanceSuite extends ExecutorChecks {

    // ------------------------------------------------------------------ forward against golden.json

    @ParameterizedTest(name = "model.forward[{0}]")
    @MethodSource("causalModels")
    @DisplayName("model.forward")
    void forwardMatchesTheReference(String fixture) {
        Check c = check();
        Measure logits = c.reference("logits", LOGITS, Tolerance.ACTIVATIONS);
        Measure hidden = c.reference("last hidden state", HIDDEN_STATES, Tolerance.ACTIVATIONS);
        Measure loss = c.reference("loss per row", LOSS, Tolerance.LOSS);
        Measure batchLoss = c.reference("batch loss", LOSS, Tolerance.LOSS);
        CausalLanguageModel model = causalLm(fixture);
        int caseIndex = 0;
        for (JsonNode cs : ReferenceFixtures.golden(fixture).get("forward")) {
            List<int[]> ids = rows(cs.get("input_ids"));
            List<int[]> labels = rows(cs.get("labels"));
            CausalLmOutput out = model.forward(ForwardRequest.ids(ids).withLabels(labels));
            double lossSum = 0;
            int targets = 0;
            for (int r = 0; r < ids.size(); r++) {
                String where = "case " + caseIndex + " row " + r;
                logits.compare(where, flat(cs.get("logits").get(r)), out.logits().get(r).data());
                hidden.compare(where, flat(cs.get("last_hidden_state").get(r)), out.lastHiddenState().get(r).data());
                JsonNode expected = cs.get("loss_per_sequence").get(r);
                if (expected.isNull()) {
                    c.expect("no loss for a row without targets", Double.isNaN(out.lossPerRow()[r]),
                            where + " has loss " + out.lossPerRow()[r]);
                } else {
                    loss.compare(where, expected.asDouble(), out.lossPerRow()[r]);
                    int n = 0;
                    for (int t = 1; t < labels.get(r).length; t++) {
                        n += labels.get(r)[t] == -100 ? 0 : 1;
                    }
                    lossSum += expected.asDouble() * n;
                    targets += n;
                }
            }
            // the batch loss is HF's mean over every kept target of every row
            batchLoss.compare("case " + caseIndex, lossSum / targets, out.loss());
            caseIndex++;
        }
    }

    @Test
    @DisplayName("model.auto")
    void autoModelPicksTheClassFromArchitectures() {
        Check c = check();
        requireFixture(ReferenceFixtures.CLASSIFIER_MODEL);
        DecoderModel lm = causalLm(ExecutorChecks.MODEL);
        c.expect("ModernBertDecoderForCausalLM is a CausalLanguageModel", lm instanceof CausalLanguageModel, lm.getClass().getName());
        c.expect("ModernBertDecoderForSequenceClassification is a SequenceClassifier",
                classifier() instanceof SequenceClassifier, classifier().getClass().getName());
        c.expect("backendName() is the backend's", backendName().equals(lm.backendName()), "backendName() is " + lm.backendName());
        JsonNode cs = ReferenceFixtures.golden(ExecutorChecks.MODEL).get("forward").get(0);
        c.reference("base-model hidden states", HIDDEN_STATES, Tolerance.ACTIVATIONS).compare("case 0",
                flat(cs.get("last_hidden_state").get(0)), lm.forwardHidden(new TokenBatch(rows(cs.get("input_ids"))))
                        .lastHiddenState().getFirst().data());
    }

    @Test
    @DisplayName("model.classifier")
    void classifierPoolsAtTheLastTokenOfEachRow() {
        Check c = check();
        JsonNode golden = ReferenceFixtures.golden(ReferenceFixtures.CLASSIFIER_MODEL).get("forward").get(0);
        SequenceClassifier model = classifier();
        TokenBatch batch = new TokenBatch(rows(golden.get("input_ids")));
        ClassifierOutput out = model.classify(batch);
        c.reference("pooled logits", LOGITS, Tolerance.ACTIVATIONS).compare("3 rows", flat(golden.get("logits")), out.logits().data());
        c.expect("id2label from config.json", "positive".equals(model.config().id2label().get(2)),
                "label 2 is " + model.config().id2label().get(2));
        // cross-entropy over the golden logits, computed here
        int[] classes = {0, 2, 1};
        double expected = 0;
        for (int r = 0; r < classes.length; r++) {
            double[] row = flat(golden.get("logits").get(r));
            double max = Arrays.stream(row).max().orElseThrow();
            double sum = Arrays.stream(row).map(x -> Math.exp(x - max)).sum();
            expected += max + Math.log(sum) - row[classes[r]];
        }
        c.reference("cross-entropy loss", LOSS, Tolerance.LOSS).compare("3 rows", expected / classes.length,
                model.classify(batch, classes).loss());
    }

    // ------------------------------------------------------------------ forward(**kwargs) against golden-kwargs.json

    @Test
    @DisplayName("model.padded")
    void paddedBatchWithAttentionMask() {
        Check c = check();
        JsonNode g = ReferenceFixtures.goldenKwargs().get("padded");
        List<int[]> mask = rows(g.get("attention_mask"));
        CausalLmOutput out = causalLm(ExecutorChecks.MODEL).forward(ForwardRequest.ids(rows(g.get("input_ids"))).withAttentionMask(mask));
        Measure logits = c.reference("logits at real tokens", LOGITS, Tolerance.ACTIVATIONS);
        for (int r = 0; r < mask.size(); r++) {
            FloatMatrix rowLogits = out.logits().get(r);
            c.expect("one logit row per padded position", rowLogits.rows() == mask.get(r).length,
                    "row " + r + " has " + rowLogits.rows() + " logit rows for " + mask.get(r).length + " positions");
            for (int t = 0; t < mask.get(r).length; t++) {
                JsonNode expected = g.get("logits").get(r).get(t);
                if (!expected.isNull()) {
                    logits.compare("row " + r + " position " + t, flat(expected), rowLogits.row(t));
                }
            }
        }
    }

    @Test
    @DisplayName("model.position-ids")
    void explicitPositionIds() {
        JsonNode g = ReferenceFixtures.goldenKwargs().get("position_ids");
        CausalLmOutput out = causalLm(ExecutorChecks.MODEL).forward(ForwardRequest.ids(rows(g.get("input_ids")))
                .withPositionIds(rows(g.get("position_ids"))));
        check().reference("logits", LOGITS, Tolerance.ACTIVATIONS).compare("positions " + g.get("position_ids").get(0),
                flat(g.get("logits").get(0)), out.logits().getFirst().data());
    }

    @Test
    @DisplayName("model.inputs-embeds")
    void inputsEmbedsInsteadOfIds() {
        JsonNode g = ReferenceFixtures.goldenKwargs().get("inputs_embeds");
        JsonNode rows = g.get("inputs_embeds").get(0);
        double[] values = flat(rows);
        float[] data = new float[values.length];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) values[i];
        }
        FloatMatrix embeds = new FloatMatrix(rows.size(), values.length / rows.size(), data);
        CausalLmOutput out = causalLm(ExecutorChecks.MODEL).forward(ForwardRequest.embeds(List.of(embeds)));
        check().reference("logits", LOGITS, Tolerance.ACTIVATIONS).compare(rows.size() + " vectors", flat(g.get("logits").get(0)),
                out.logits().getFirst().data());
    }

    @Test
    @DisplayName("model.outputs")
    void hiddenStatesAndAttentions() {
        Check c = check();
        JsonNode g = ReferenceFixtures.goldenKwargs().get("outputs");
        CausalLanguageModel model = causalLm(ExecutorChecks.MODEL);
        int layers = model.config().numHiddenLayers();
        int heads = model.config().numAttentionHeads();
        int n = g.get("input_ids").get(0).size();
        CausalLmOutput out = model.forward(ForwardRequest.ids(rows(g.get("input_ids"))).withOutputHiddenStates(true)
                .withOutputAttentions(true));
        c.reference("logits", LOGITS, Tolerance.ACTIVATIONS).compare("", flat(g.get("logits").get(0)), out.logits().getFirst().data());
        c.expect("hidden_states has layers + 1 entries", out.hiddenStates() != null && out.hiddenStates().size() == layers + 1,
                (out.hiddenStates() == null ? "none" : out.hiddenStates().size()) + " entries");
        c.expect("attentions has one entry per layer", out.attentions() != null && out.attentions().size() == layers,
                (out.attentions() == null ? "none" : out.attentions().size()) + " entries");
        Measure hidden = c.reference("hidden states", HIDDEN_STATES, Tolerance.ACTIVATIONS);
        for (int l = 0; l <= layers; l++) {
            // the fixture holds one row without the batch dimension: [layers + 1][T][hidden]
            hidden.compare("entry " + l, flat(g.get("hidden_states").get(l)), out.hiddenStates().get(l).getFirst().data());
        }
        Measure probs = c.reference("attention probabilities", ATTENTIONS, Tolerance.PROBABILITIES);
        for (int l = 0; l < layers; l++) {
            AttentionWeights a = out.attentions().get(l).getFirst();
            c.expect("attention shape [heads][T][T]", a.heads() == heads && a.queries() == n && a.keys() == n,
                    "layer " + l + " is " + a.heads() + "x" + a.queries() + "x" + a.keys());
            probs.compare("layer " + l, flat(g.get("attentions").get(l)), a.data());
        }
    }

    @Test
    @DisplayName("model.continuation")
    void pastKeyValuesContinueTheSequence() {
        Check c = check();
        JsonNode g = ReferenceFixtures.goldenKwargs().get("continuation");
        CausalLanguageModel model = causalLm(ExecutorChecks.MODEL);
        CausalLmOutput first = model.forward(ForwardRequest.ids(rows(g.get("prefix_ids"))).withUseCache(true));
        try (DynamicCache past = first.pastKeyValues()) {
            c.expect("use_cache returns past_key_values", past != null, "pastKeyValues is null");
            CausalLmOutput next = model.forward(ForwardRequest.ids(rows(g.get("next_ids"))).withPastKeyValues(past));
            c.reference("logits of the continuation", LOGITS, Tolerance.ACTIVATIONS).compare("",
                    flat(g.get("next_logits").get(0)), next.logits().getFirst().data());
        }
    }

    // ------------------------------------------------------------------ greedy generation with the cache

    @ParameterizedTest(name = "model.greedy[{0}]")
    @MethodSource("causalModels")
    @DisplayName("model.greedy")
    void greedyWithTheCacheOneSequenceAtATime(String fixture) {
        Check c = check();
        ModelExecutor ex = causalLm(fixture).executor();
        Measure reference = c.reference("ids", TOKEN_IDS, Tolerance.EXACT);
        Measure self = c.consistency("ids vs uncached argmax", LOGITS, Tolerance.ACTIVATIONS);
        for (JsonNode g : ReferenceFixtures.golden(fixture).get("generate_greedy")) {
            int[] prompt = ints(g.get("prompt_ids"));
            int[] expected = ints(g.get("new_ids"));
            int[] got = greedy(ex, List.of(prompt), new int[]{expected.length}, Head.LAST)[0];
            reference.compareIds("prompt of " + prompt.length + " tokens", expected, got);
            checkAgainstUncached(self, ex, prompt, got);
        }
    }

    @ParameterizedTest(name = "model.greedy-batched[{0}]")
    @MethodSource("causalModels")
    @DisplayName("model.greedy-batched")
    void greedyWithTheCacheBatched(String fixture) {
        Check c = check();
        ModelExecutor ex = causalLm(fixture).executor();
        List<int[]> prompts = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        for (JsonNode g : ReferenceFixtures.golden(fixture).get("generate_greedy")) {
            prompts.add(ints(g.get("prompt_ids")));
            expected.add(ints(g.get("new_ids")));
        }
        int[] steps = expected.stream().mapToInt(e -> e.length).toArray();
        int[][] got = greedy(ex, prompts, steps, Head.ARGMAX);
        Measure reference = c.reference("ids (ARGMAX head, finished sequences drop out)", TOKEN_IDS, Tolerance.EXACT);
        Measure self = c.consistency("ids vs uncached argmax", LOGITS, Tolerance.ACTIVATIONS);
        for (int i = 0; i < prompts.size(); i++) {
            reference.compareIds("prompt " + i, expected.get(i), got[i]);
            checkAgainstUncached(self, ex, prompts.get(i), got[i]);
        }
    }

    @Test
    @DisplayName("model.greedy-e2e")
    void fullVocabularyModelGreedy() {
        Check c = check();
        ModelExecutor ex = causalLm(ReferenceFixtures.END_TO_END_MODEL).executor();
        Measure reference = c.reference("ids", TOKEN_IDS, Tolerance.EXACT);
        Measure self = c.consistency("ids vs uncached argmax", LOGITS, Tolerance.ACTIVATIONS);
        for (JsonNode g : ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL)) {
            int[] prompt = ints(g.get("prompt_ids"));
            int[] expected = ints(g.get("new_ids"));
            int[] got = greedy(ex, List.of(prompt), new int[]{expected.length}, Head.LAST)[0];
            reference.compareIds("\"" + g.get("text").asText() + "\"", expected, got);
            checkAgainstUncached(self, ex, prompt, got);
        }
    }

    /**
     * Each token the cached loop chose must be the argmax of the logits one uncached forward of the
     * prompt and the tokens before it gives (teacher forcing: one step over the whole sequence), up to
     * a near-tie within the tolerance.
     */
    private static void checkAgainstUncached(Measure m, ModelExecutor ex, int[] prompt, int[] generated) {
        int vocab = ex.weights().head().outputs();
        int[] sequence = concat(prompt, slice(generated, 0, generated.length - 1));
        float[] logits = fresh(ex, sequence).logits();
        for (int i = 0; i < generated.length; i++) {
            int row = prompt.length - 1 + i;
            m.compareChoice("step " + i + " after a prompt of " + prompt.length,
                    Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab), generated[i]);
        }
    }

    /**
     * Greedy decoding with one cache per prompt: the ragged prompts are prefilled in one step, then
     * every unfinished sequence takes one token per step; a sequence drops out after its
     * {@code steps[i]} tokens. {@code head} is {@link Head#LAST} (the argmax is taken here) or
     * {@link Head#ARGMAX} (the backend takes it).
     */
    static int[][] greedy(ModelExecutor executor, List<int[]> prompts, int[] steps, Head head) {
        int[][] out = new int[prompts.size()][];
        List<KvCache> caches = new ArrayList<>();
        try {
            List<SequenceInput> batch = new ArrayList<>();
            List<Integer> active = new ArrayList<>();
            // prompts over one step's token budget are prefilled one by one, all but their last token
            boolean fits = prompts.stream().mapToInt(p -> p.length).sum() <= executor.limits().maxTokensPerStep();
            for (int i = 0; i < prompts.size(); i++) {
                KvCache cache = executor.newCache(prompts.get(i).length + steps[i]);
                caches.add(cache);
                out[i] = new int[steps[i]];
                int[] prompt = prompts.get(i);
                int keep = fits ? prompt.length : 1;
                prefill(executor, cache, slice(prompt, 0, prompt.length - keep));
                batch.add(SequenceInput.tokens(cache, slice(prompt, prompt.length - keep, prompt.length)).withHead(head));
                active.add(i);
            }
            int[] produced = new int[prompts.size()];
            while (!active.isEmpty()) {
                List<SequenceOutput> result = executor.step(batch);
                List<SequenceInput> next = new ArrayList<>();
                List<Integer> stillActive = new ArrayList<>();
                for (int j = 0; j < active.size(); j++) {
                    int i = active.get(j);
                    SequenceOutput o = result.get(j);
                    int token = head instanceof Head.Argmax ? o.argmax() : Check.argmax(o.logits());
                    out[i][produced[i]++] = token;
                    if (produced[i] < steps[i]) {
                        stillActive.add(i);
                        next.add(SequenceInput.tokens(caches.get(i), token).withHead(head));
                    }
                }
                active = stillActive;
                batch = next;
            }
        } finally {
            KvCache.closeAll(caches);
        }
        return out;
    }

    // ------------------------------------------------------------------ input errors at the model level

    @Test
    @DisplayName("model.errors")
    void badInputIsRejectedByTheModel() {
        Check c = check();
        CausalLanguageModel model = causalLm(ExecutorChecks.MODEL);
        c.refused("token id outside the vocabulary, with its row and position",
                () -> model.forward(TokenBatch.of(new int[]{5, 6}, new int[]{7, 512, 8})), "512", "row 1", "position 1");
        int[] tooLong = new int[model.config().maxPositionEmbeddings() + 1];
        Arrays.fill(tooLong, 7);
        c.refused("a row longer than max_position_embeddings", () -> model.forward(TokenBatch.of(tooLong)),
                "max_position_embeddings", "513");
    }
}
