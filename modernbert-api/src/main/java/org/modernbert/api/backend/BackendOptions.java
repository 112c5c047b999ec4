package org.modernbert.api.backend;

/**
 * Settings for creating a backend.
 *
 * @param threads worker threads for backends that use CPU cores; 0 means one per available core
 */
public record BackendOptions(int threads) {
    public BackendOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0);
    }

    public int effectiveThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
