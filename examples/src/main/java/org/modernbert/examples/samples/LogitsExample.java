package org.modernbert.examples.samples;

import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.core.ModernBert;

import java.nio.file.Path;

/** README's first example: load a checkpoint folder and compute logits. Argument: model folder. */
public final class LogitsExample {
    private LogitsExample() {
    }

    public static void main(String[] args) {
        Path folder = Path.of(args.length > 0 ? args[0] : "examples/models/kjv-mbd-4m");
        try (CausalLanguageModel model = ModernBert.loadCausalLM(folder, "cpu")) {
            CausalLmOutput out = model.forward(TokenBatch.of(new int[]{4091, 1141, 258, 2245}));
            FloatMatrix logits = out.logits().get(0);              // positions x vocabulary
            System.out.println("next-token logit of id 268: " + logits.get(logits.rows() - 1, 268));
        }
    }
}
