package org.modernbert.api.backend;

import org.modernbert.api.tensor.WeightFormat;

/**
 * Settings for creating a backend and loading a model on it.
 *
 * @param threads  worker threads for backends that use CPU cores; 0 means one per available core
 * @param device   the {@link DeviceInfo#id() id} of the device to use; null for the backend's default
 * @param quantize convert the model's matrices to this format while loading (e.g. {@link WeightFormat#Q8_0});
 *                 null keeps the stored formats. The backend must execute the format.
 */
public record BackendOptions(int threads, String device, WeightFormat quantize) {
    public BackendOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0, null, null);
    }

    public BackendOptions withThreads(int n) {
        return new BackendOptions(n, device, quantize);
    }

    public BackendOptions withDevice(String id) {
        return new BackendOptions(threads, id, quantize);
    }

    public BackendOptions withQuantize(WeightFormat format) {
        return new BackendOptions(threads, device, format);
    }

    public int effectiveThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
