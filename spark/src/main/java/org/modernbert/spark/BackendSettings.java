package org.modernbert.spark;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.tensor.WeightFormat;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;

/**
 * The backend executors load the model on: its name (null: the best available one), worker threads
 * (0: one per core of the executor), device id and load-time quantization (e.g. {@code q8_0}).
 */
public record BackendSettings(String backend, int threads, String device, String quantize) implements Serializable {

    public BackendSettings {
        if (threads < 0) {
            throw new ModernBertException("threads must be 0 (one per core) or more, got " + threads);
        }
        if (quantize != null && WeightFormat.fromName(quantize) == null) {
            throw new ModernBertException("quantize " + quantize + " is not a weight format; use one of "
                    + Arrays.stream(WeightFormat.values()).map(v -> v.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    public static BackendSettings defaults() {
        return new BackendSettings(null, 0, null, null);
    }

    BackendOptions options() {
        return new BackendOptions(threads, device, quantize == null ? null : WeightFormat.fromName(quantize));
    }
}
