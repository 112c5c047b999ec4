package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;

import java.nio.file.Files;
import java.nio.file.Path;

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
}
