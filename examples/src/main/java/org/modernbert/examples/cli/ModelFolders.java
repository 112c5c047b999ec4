package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the commands find a model when none is given: the small model bundled with the project. */
final class ModelFolders {
    /** The launcher sets this to the bundled model's folder. */
    static final String DEFAULT_MODEL_PROPERTY = "modernbert.defaultModel";
    static final Path BUNDLED_RELATIVE = Path.of("examples", "models", "kjv-mbd-4m");

    private ModelFolders() {
    }

    static Path resolve(Path given) {
        if (given != null) {
            if (!Files.isDirectory(given)) {
                throw new ModernBertException("model folder " + given + " does not exist or is not a directory");
            }
            return given;
        }
        String property = System.getProperty(DEFAULT_MODEL_PROPERTY);
        Path bundled = property != null && !property.isBlank() ? Path.of(property) : BUNDLED_RELATIVE;
        if (!Files.isDirectory(bundled)) {
            throw new ModernBertException("no --model given and the bundled model is not at " + bundled.toAbsolutePath()
                    + "; pass --model DIR (a Hugging Face folder with config.json and model.safetensors)");
        }
        return bundled;
    }

    /**
     * Checks that {@code folder} holds what a command needs, before anything is loaded: config.json,
     * the weights (model.safetensors or its shard index model.safetensors.index.json) and, when
     * {@code tokenizerHint} is not null, tokenizer.json. A folder missing the model files is named with
     * every missing file; one missing only tokenizer.json gets {@code tokenizerHint} (what to do instead).
     * Symlinks (the Hugging Face cache's snapshot folders) are followed.
     */
    static void requireModelFiles(Path folder, String tokenizerHint) {
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(folder.resolve("config.json"))) {
            missing.add("config.json");
        }
        if (!Files.isRegularFile(folder.resolve("model.safetensors")) && !Files.isRegularFile(folder.resolve("model.safetensors.index.json"))) {
            missing.add("model.safetensors (or its shard index model.safetensors.index.json)");
        }
        boolean noTokenizer = tokenizerHint != null && !Files.isRegularFile(folder.resolve("tokenizer.json"));
        if (!missing.isEmpty()) {
            if (noTokenizer) {
                missing.add("tokenizer.json");
            }
            throw new ModernBertException("model folder " + folder + " is not a Hugging Face model folder: it has no "
                    + String.join(", no ", missing));
        }
        if (noTokenizer) {
            throw new ModernBertException("model folder " + folder + " has no tokenizer.json: " + tokenizerHint);
        }
    }
}
