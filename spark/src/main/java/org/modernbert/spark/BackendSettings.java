package org.modernbert.spark;

import org.apache.spark.SparkEnv;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.backend.BackendRegistry;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
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

    /**
     * The options for this JVM: with {@code threads} 0, an executor uses the cores Spark gave it
     * ({@code spark.executor.cores}) when set, rather than every core of the machine it shares.
     */
    BackendOptions options() {
        int n = threads;
        SparkEnv env = SparkEnv.get();
        if (n == 0 && env != null && !"driver".equals(env.executorId())) {
            n = env.conf().getInt("spark.executor.cores", 0);
        }
        return new BackendOptions(n, device, quantize == null ? null : WeightFormat.fromName(quantize));
    }

    /**
     * Fails on the driver when no backend of that name is installed here (the job jar carries the same
     * backends as the executors'); availability is the executors' to decide (a GPU may be there only).
     */
    void requireKnown() {
        if (backend == null) {
            return;
        }
        List<String> names = BackendRegistry.discover().probeAll().stream().map(BackendRegistry.ProbedProvider::name).toList();
        if (names.stream().noneMatch(backend::equalsIgnoreCase)) {
            throw new ModernBertException("unknown backend '" + backend + "'; installed: " + names);
        }
    }
}
