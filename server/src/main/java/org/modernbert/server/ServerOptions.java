package org.modernbert.server;

import org.modernbert.api.backend.BackendOptions;
import org.modernbert.core.generation.BatchScheduler;

import java.nio.file.Path;

/**
 * What {@link ModernBertServer} serves and how.
 *
 * @param model             a Hugging Face model folder (causal LM or sequence classifier)
 * @param backend           backend name, or null for the default choice
 * @param servedModelName   the model id of the API, or null for the folder's name
 * @param apiKey            when set, every endpoint but /health and /ready needs {@code Authorization: Bearer KEY}
 * @param maxBatchSequences sequences generated together at most
 * @param maxQueuedRequests requests waiting at most before 429
 * @param maxBodyBytes      request bodies larger than this are refused with 413
 */
public record ServerOptions(Path model, String backend, BackendOptions backendOptions, String servedModelName,
                            String apiKey, int maxBatchSequences, int maxQueuedRequests, long maxBodyBytes) {
    public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;

    public ServerOptions {
        backendOptions = backendOptions == null ? BackendOptions.defaults() : backendOptions;
        if (maxBatchSequences < 1 || maxQueuedRequests < 1 || maxBodyBytes < 1) {
            throw new IllegalArgumentException("max batch, max queue and max body must be at least 1");
        }
    }

    /** The folder with the scheduler's default limits, a 1 MiB body limit, no API key. */
    public static ServerOptions of(Path model) {
        BatchScheduler.Options d = BatchScheduler.Options.defaults();
        return new ServerOptions(model, null, null, null, null, d.maxBatchSequences(), d.maxQueuedRequests(), DEFAULT_MAX_BODY_BYTES);
    }

    public ServerOptions withBackend(String name, BackendOptions options) {
        return new ServerOptions(model, name, options, servedModelName, apiKey, maxBatchSequences, maxQueuedRequests, maxBodyBytes);
    }

    public ServerOptions withServedModelName(String name) {
        return new ServerOptions(model, backend, backendOptions, name, apiKey, maxBatchSequences, maxQueuedRequests, maxBodyBytes);
    }

    public ServerOptions withApiKey(String key) {
        return new ServerOptions(model, backend, backendOptions, servedModelName, key, maxBatchSequences, maxQueuedRequests, maxBodyBytes);
    }

    public ServerOptions withMaxBatchSequences(int n) {
        return new ServerOptions(model, backend, backendOptions, servedModelName, apiKey, n, maxQueuedRequests, maxBodyBytes);
    }

    public ServerOptions withMaxQueuedRequests(int n) {
        return new ServerOptions(model, backend, backendOptions, servedModelName, apiKey, maxBatchSequences, n, maxBodyBytes);
    }

    public ServerOptions withMaxBodyBytes(long n) {
        return new ServerOptions(model, backend, backendOptions, servedModelName, apiKey, maxBatchSequences, maxQueuedRequests, n);
    }

    /** The id clients name in {@code "model"}: the served name, else the folder's name. */
    public String modelId() {
        if (servedModelName != null && !servedModelName.isBlank()) {
            return servedModelName;
        }
        Path name = model.toAbsolutePath().normalize().getFileName();
        return name == null ? model.toString() : name.toString();
    }
}
