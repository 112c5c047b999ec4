package org.modernbert.core.generation;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs token-id inputs within an executor's {@link ExecutorLimits}: consecutive inputs share a step
 * while the step stays under the sequence and token limits, and an input longer than a step's token
 * budget is fed in chunks through its cache (earlier chunks without a head). Returns one output per
 * input, checked. The caller holds the executor's lock.
 */
final class LimitedSteps {
    private LimitedSteps() {
    }

    static List<SequenceOutput> run(ModelExecutor executor, List<SequenceInput> inputs) {
        ExecutorLimits limits = executor.limits();
        List<SequenceOutput> out = new ArrayList<>(inputs.size());
        List<SequenceInput> batch = new ArrayList<>();
        int tokens = 0;
        for (SequenceInput in : inputs) {
            if (!batch.isEmpty() && (batch.size() == limits.maxSequencesPerStep() || tokens + in.length() > limits.maxTokensPerStep())) {
                out.addAll(executor.step(batch));
                batch = new ArrayList<>();
                tokens = 0;
            }
            SequenceInput rest = in;
            int max = limits.maxTokensPerStep();
            // a prompt longer than a whole step: all but its last chunk go through the cache alone
            while (rest.length() > max) {
                executor.step(List.of(SequenceInput.tokens(in.cache(), Arrays.copyOf(rest.tokenIds(), max)).withHead(Head.NONE)));
                rest = SequenceInput.tokens(in.cache(), Arrays.copyOfRange(rest.tokenIds(), max, rest.length())).withHead(in.head());
            }
            batch.add(rest);
            tokens += rest.length();
        }
        if (!batch.isEmpty()) {
            out.addAll(executor.step(batch));
        }
        if (out.size() != inputs.size()) {
            throw new ModernBertException("backend returned " + out.size() + " outputs for " + inputs.size() + " sequences");
        }
        return out;
    }
}
