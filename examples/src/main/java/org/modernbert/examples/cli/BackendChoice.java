package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.tensor.WeightFormat;
import picocli.CommandLine.Option;

import java.util.Arrays;

/** The options every model-loading command shares: which backend, device, threads and weight format. */
final class BackendChoice {
    @Option(names = "--backend", description = "Backend name (default: -Dmodernbert.backend, MODERNBERT_BACKEND, else the best available).")
    String backend;

    @Option(names = "--device", description = "Device id of the backend (see 'modernbert backends'; default: its first device).")
    String device;

    @Option(names = "--threads", description = "Worker threads for CPU backends (default, or 0: one per core).")
    Integer threads;

    @Option(names = "--quantize", paramLabel = "FORMAT",
            description = "Convert the weights while loading: q8_0 (int8 blocks, half of BF16's bytes), bf16 or f32.")
    String quantize;

    BackendOptions options() {
        BackendOptions o = BackendOptions.defaults().withDevice(device);
        if (threads != null) {
            if (threads < 0) {
                throw new ModernBertException("--threads must be 0 (one per core) or more, got " + threads);
            }
            o = o.withThreads(threads);
        }
        if (quantize != null) {
            WeightFormat f = WeightFormat.fromName(quantize);
            if (f == null) {
                throw new ModernBertException("--quantize " + quantize + " is not a weight format; use one of "
                        + Arrays.stream(WeightFormat.values()).map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).toList());
            }
            o = o.withQuantize(f);
        }
        return o;
    }
}
