package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.examples.bench.Bench;
import org.modernbert.examples.bench.BenchReport;
import org.modernbert.examples.bench.ModelBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code modernbert bench}: prefill, time to first token and decode rates of a model through the executor's
 * steps, set against the machine's read bandwidth and FMA peak measured in the same process. The measuring
 * lives in {@link org.modernbert.examples.bench}; this class checks the flags and prints.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure a causal LM on a backend: prefill tokens/s and GFLOP/s, time to first token, greedy decode",
                "tokens/s of 1 and of --batch sequences, weight bytes read per decoded token, and, in the same process,",
                "the machine's read bandwidth and FMA peak on the backend's threads, with the ratios between them",
                "(decode against the bandwidth roofline, prefill against the FMA peak). Token ids are pseudo-random",
                "with a fixed seed. Each figure is the median of --repetitions runs, with min and max.",
                "--json prints one JSON object whose keys name the figures and the counting rules."})
final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder (config.json, model.safetensors).")
    Path model;

    @Mixin
    BackendChoice backend;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "512",
            description = "Tokens of the timed prefill (default: ${DEFAULT-VALUE}; at most max_position_embeddings).")
    int promptTokens;

    @Option(names = "--new-tokens", paramLabel = "N", defaultValue = "64",
            description = "Decode steps timed per run, after a " + ModelBench.DECODE_PROMPT_TOKENS + "-token prompt (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "Sequences decoded together for the batched rate (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--repetitions", paramLabel = "N", defaultValue = "5", description = "Timed runs of each figure (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "Untimed runs before them (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        atLeast("--prompt-tokens", promptTokens, 1);
        atLeast("--new-tokens", newTokens, 1);
        atLeast("--batch", batch, 1);
        atLeast("--repetitions", repetitions, 1);
        atLeast("--warmup", warmup, 0);
        BackendOptions options = backend.options();
        Path folder = ModelFolders.resolve(model);
        ModelFolders.requireModelFiles(folder, null);
        int maxPositions = ModernBertDecoderConfig.fromJsonFile(folder.resolve("config.json")).maxPositionEmbeddings();
        if (promptTokens > maxPositions) {
            throw new ModernBertException("--prompt-tokens " + promptTokens + " is beyond the model's max_position_embeddings ("
                    + maxPositions + "): expected 1 to " + maxPositions);
        }
        if (ModelBench.DECODE_PROMPT_TOKENS + newTokens > maxPositions) {
            throw new ModernBertException("--new-tokens " + newTokens + " after the " + ModelBench.DECODE_PROMPT_TOKENS
                    + "-token decode prompt is beyond the model's max_position_embeddings (" + maxPositions
                    + "): expected 1 to " + (maxPositions - ModelBench.DECODE_PROMPT_TOKENS));
        }
        BenchReport report = Bench.run(folder, backend.backend, options,
                new ModelBench.Settings(promptTokens, newTokens, batch, repetitions, warmup));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report.toJson(JSON)));
        } else {
            out.print(report.table());
        }
        out.flush();
        return 0;
    }

    private static void atLeast(String flag, int value, int min) {
        if (value < min) {
            throw new ModernBertException(flag + " must be at least " + min + ", got " + value);
        }
    }
}
