package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.backend.DeviceInfo;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.conformance.Tolerance;
import org.modernbert.core.ModernBert;
import org.modernbert.core.backend.BackendRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model classes plan their executor steps from the executor's limits: with at most 2 sequences
 * and 5 tokens per step, a padded batch of 14-token rows is fed in chunks through the caches, and
 * logits, hidden states and attentions still match the reference.
 */
class LimitedExecutorForwardTest {
    @Test
    void chunkedStepsGiveTheGoldenOutputs() {
        JsonNode golden = ReferenceFixtures.goldenKwargs();
        SmallStepsProvider provider = new SmallStepsProvider();
        try (CausalLanguageModel model = (CausalLanguageModel) ModernBert.load(ReferenceFixtures.modelDir("tiny-mbd"), provider,
                BackendOptions.defaults())) {
            JsonNode padded = golden.get("padded");
            CausalLmOutput out = model.forward(ForwardRequest.ids(rows(padded.get("input_ids")))
                    .withAttentionMask(rows(padded.get("attention_mask"))));
            for (int r = 0; r < 3; r++) {
                for (int t = 0; t < 14; t++) {
                    JsonNode expected = padded.get("logits").get(r).get(t);
                    if (!expected.isNull()) {
                        Tolerance.ACTIVATIONS.assertClose("chunked padded row " + r + " position " + t, expected,
                                out.logits().get(r).row(t));
                    }
                }
            }
            JsonNode outputs = golden.get("outputs");
            CausalLmOutput all = model.forward(ForwardRequest.ids(rows(outputs.get("input_ids")))
                    .withOutputHiddenStates(true).withOutputAttentions(true));
            for (int l = 0; l < 7; l++) {
                Tolerance.ACTIVATIONS.assertClose("chunked hidden_states[" + l + "]", outputs.get("hidden_states").get(l),
                        all.hiddenStates().get(l).getFirst().data());
            }
            for (int l = 0; l < 6; l++) {
                float[] probs = all.attentions().get(l).getFirst().data();
                for (int h = 0; h < 4; h++) {
                    Tolerance.ACTIVATIONS.assertClose("chunked attentions[" + l + "][" + h + "]",
                            outputs.get("attentions").get(l).get(h), java.util.Arrays.copyOfRange(probs, h * 144, (h + 1) * 144));
                }
            }
        }
        assertTrue(provider.executor.stepTokens.size() > 3, "the rows were split into several steps: " + provider.executor.stepTokens);
    }

    /** The CPU backend, with executors that take at most 2 sequences and 5 tokens per step. */
    private static final class SmallStepsProvider implements BackendProvider {
        private final BackendProvider cpu = BackendRegistry.discover().select("cpu");
        CountingExecutor executor;

        @Override
        public String name() {
            return "cpu-small-steps";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Availability probe() {
            return cpu.probe();
        }

        @Override
        public Backend create(BackendOptions options) {
            Backend real = cpu.create(options);
            return new Backend() {
                @Override
                public String name() {
                    return "cpu-small-steps";
                }

                @Override
                public DeviceInfo device() {
                    return real.device();
                }

                @Override
                public Set<WeightFormat> weightFormats() {
                    return real.weightFormats();
                }

                @Override
                public ModelExecutor load(ModelWeights weights) {
                    executor = new CountingExecutor(real.load(weights), 2, 5);
                    return executor;
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        }
    }

    private static List<int[]> rows(JsonNode node) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode r : node) {
            out.add(GenerationEndToEndTest.ints(r));
        }
        return out;
    }
}
