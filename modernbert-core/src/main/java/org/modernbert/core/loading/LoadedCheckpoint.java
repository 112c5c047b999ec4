package org.modernbert.core.loading;

import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.ModelWeights;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A loaded model folder: its config and its weights, checked against each other. Owns the shared
 * {@link Arena} that maps the safetensors files; {@link #close()} unmaps them, after which no tensor
 * of {@link #weights()} may be read.
 */
public final class LoadedCheckpoint implements AutoCloseable {
    private final Path folder;
    private final Path source;
    private final ModernBertDecoderConfig config;
    private final ModelWeights weights;
    private final Arena arena;
    private boolean closed;

    LoadedCheckpoint(Path folder, Path source, ModernBertDecoderConfig config, ModelWeights weights, Arena arena) {
        this.folder = folder;
        this.source = source;
        this.config = config;
        this.weights = weights;
        this.arena = arena;
    }

    /** The model folder this was loaded from. */
    public Path folder() {
        return folder;
    }

    /** model.safetensors or model.safetensors.index.json: the file the weights came from. */
    public Path source() {
        return source;
    }

    public ModernBertDecoderConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    /** The arena that owns the mapped weights (shared: readable from any thread until closed). */
    public Arena arena() {
        return arena;
    }

    /** Unmaps the weights; closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "LoadedCheckpoint[" + source + ", " + config + "]";
    }
}
