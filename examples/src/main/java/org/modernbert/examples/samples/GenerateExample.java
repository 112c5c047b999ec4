package org.modernbert.examples.samples;

import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.TextIterator;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.nio.file.Path;

/** README's generation example: a pipeline with per-call overrides, then streaming. Argument: model folder. */
public final class GenerateExample {
    private GenerateExample() {
    }

    public static void main(String[] args) {
        Path folder = Path.of(args.length > 0 ? args[0] : "examples/models/kjv-mbd-4m");
        try (var pipe = TextGenerationPipeline.open(folder, "cpu")) {
            GenerationConfig cfg = pipe.defaults().toBuilder().maxNewTokens(40).seed(7L).build();
            System.out.println(pipe.generate("In the beginning", cfg, true).getFirst().generatedText());
            try (TextIterator it = pipe.stream("And God said", cfg)) {
                it.forEachRemaining(System.out::print);
            }
            System.out.println();
        }
    }
}
