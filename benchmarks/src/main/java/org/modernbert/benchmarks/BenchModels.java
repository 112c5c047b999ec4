package org.modernbert.benchmarks;

import org.modernbert.api.ModernBertException;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the benchmarks find their model: {@code -Dmodernbert.benchModel=DIR}, else the bundled example model. */
final class BenchModels {
    static final String PROPERTY = "modernbert.benchModel";
    static final String BUNDLED = "examples/models/kjv-mbd-4m";

    private BenchModels() {
    }

    /** The model folder; the bundled one is looked up from the working directory upwards (the repo root). */
    static Path modelDir() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured).toAbsolutePath();
            if (!Files.isRegularFile(dir.resolve("config.json"))) {
                throw new ModernBertException("-D" + PROPERTY + "=" + configured + " has no config.json");
            }
            return dir;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve(BUNDLED);
            if (Files.isRegularFile(candidate.resolve("config.json"))) {
                return candidate;
            }
        }
        throw new ModernBertException("cannot find " + BUNDLED + " above " + Path.of("").toAbsolutePath()
                + ": run from the repository or pass -D" + PROPERTY + "=DIR");
    }
}
