package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.init.NamedConfigs;
import org.modernbert.core.init.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code modernbert init-random --config NAME|config.json --dtype f32|bf16|f16 --output DIR [--seed S]
 * [--tokenizer DIR]}: writes a randomly initialised checkpoint folder (transformers' {@code _init_weights})
 * that {@code ModernBert.load} and {@code generate} accept. The output must be new or an empty folder; it is
 * written beside itself in a temporary folder and renamed at the end, so a failure leaves nothing behind.
 */
@Command(name = "init-random", mixinStandardHelpOptions = true,
        description = {"Write a randomly initialised ModernBERT-decoder checkpoint folder (config.json, model.safetensors,",
                "generation_config.json, and the tokenizer with --tokenizer), initialised as transformers'",
                "ModernBertDecoder _init_weights does (truncated normal, seeded). Sizes: "
                        + "ettin-17m, ettin-32m, ettin-68m, ettin-150m, ettin-400m, ettin-1b, or a config.json."})
final class InitRandomCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "NAME|config.json",
            description = "a named size (ettin-17m, ettin-32m, ettin-68m, ettin-150m, ettin-400m, ettin-1b) or a config.json file")
    String config;

    @Option(names = "--dtype", required = true, paramLabel = "f32|bf16|f16", description = "safetensors dtype of the weights")
    String dtype;

    @Option(names = "--output", required = true, paramLabel = "DIR",
            description = "the folder to create (a new or empty folder: one with files in it is refused and left as it is)")
    Path output;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "copy tokenizer.json and tokenizer_config.json from this folder (its ids must be below vocab_size)")
    Path tokenizer;

    @Override
    public Integer call() {
        WeightFormat format = dtype(dtype);
        ModernBertDecoderConfig cfg = config(config);
        long t0 = System.nanoTime();
        RandomCheckpoint.Result r = RandomCheckpoint.write(cfg, format, seed, tokenizer, output,
                Runtime.getRuntime().availableProcessors());
        double seconds = (System.nanoTime() - t0) / 1e9;
        PrintWriter out = spec.commandLine().getOut();
        out.println(String.format(Locale.ROOT, "wrote %s (%,d parameters, %s, %.1f MB) to %s in %.1f s",
                config, r.parameters(), r.dtype(), r.weightBytes() / 1e6, output, seconds));
        out.flush();
        return 0;
    }

    static WeightFormat dtype(String name) {
        WeightFormat f = WeightFormat.fromName(name);
        if (f == null || f == WeightFormat.Q8_0) {
            throw new ModernBertException("--dtype " + name + " is not a safetensors dtype this command writes; use one of f32, bf16, f16");
        }
        return f;
    }

    /** A named size, or a config.json file (or a folder holding one). */
    static ModernBertDecoderConfig config(String given) {
        if (NamedConfigs.contains(given)) {
            return NamedConfigs.get(given);
        }
        Path path = Path.of(given);
        if (Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json"))) {
            path = path.resolve("config.json");
        }
        if (!Files.isRegularFile(path)) {
            throw new ModernBertException("--config " + given + " is neither a known size (" + String.join(", ", NamedConfigs.names())
                    + ") nor a config.json file");
        }
        return ModernBertDecoderConfig.fromJsonFile(path);
    }
}
