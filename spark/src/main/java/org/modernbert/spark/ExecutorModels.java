package org.modernbert.spark;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.core.pipeline.TextClassificationPipeline;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The models of this JVM, loaded once and shared by every task that runs in it (an executor runs
 * many tasks, in sequence and in parallel). Loading per partition would multiply the load cost by the
 * number of partitions. Keyed by where the model is, its fingerprint and the backend settings; the
 * weights are memory-mapped read-only and stay loaded for the JVM's life, as executors are reused.
 */
final class ExecutorModels {
    private static final Logger LOG = LogManager.getLogger(ExecutorModels.class);

    private record Key(Path folder, String sha256, BackendSettings backend, Class<?> kind) {
    }

    private static final ConcurrentHashMap<Key, Object> LOADED = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {
    }

    static TextGenerationPipeline causalLm(ModelSource source, BackendSettings backend) {
        return get(source, backend, TextGenerationPipeline.class,
                folder -> TextGenerationPipeline.open(folder, backend.backend(), backend.options()));
    }

    static TextClassificationPipeline classifier(ModelSource source, BackendSettings backend) {
        return get(source, backend, TextClassificationPipeline.class,
                folder -> TextClassificationPipeline.open(folder, backend.backend(), backend.options()));
    }

    /** How many times this JVM loaded a model (tests: once per model however many partitions ran). */
    static int loads() {
        return LOADS.get();
    }

    private static <T> T get(ModelSource source, BackendSettings backend, Class<T> kind, Function<Path, T> open) {
        Path folder = source.folderHere();
        Key key = new Key(folder, source.sha256(), backend, kind);
        // computeIfAbsent blocks other tasks asking for the same model until it is loaded: one load per JVM.
        return kind.cast(LOADED.computeIfAbsent(key, k -> {
            long start = System.nanoTime();
            String found = ModelFolder.sha256(folder, source.files());
            if (!found.equals(source.sha256())) {
                throw new ModernBertException("model files in " + folder + " differ from the ones the driver validated in "
                        + source.driverFolder() + " (sha256 " + found + ", expected " + source.sha256()
                        + "): every node must see the same model");
            }
            T model = open.apply(folder);
            LOADS.incrementAndGet();
            LOG.info("modernbert: loaded {} from {} in {} ms (once for this JVM)", kind.getSimpleName(), folder,
                    (System.nanoTime() - start) / 1_000_000);
            return model;
        }));
    }
}
