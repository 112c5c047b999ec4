package org.modernbert.backend.cpu;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.DeviceInfo;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;

import java.util.EnumSet;
import java.util.Set;

/** The CPU backend: one persistent worker pool shared by every model it loads. */
public final class CpuBackend implements Backend {
    /**
     * Matrix formats the kernels read in place. F16 is not among them: x86 has no cheap in-register
     * F16 widening on every CPU, so the loader widens F16 checkpoints to F32 once.
     */
    static final Set<WeightFormat> FORMATS = EnumSet.of(WeightFormat.F32, WeightFormat.BF16, WeightFormat.Q8_0);

    private final WorkerPool pool;
    private final DeviceInfo device;
    private volatile boolean closed;

    public CpuBackend(BackendOptions options) {
        this.device = CpuBackendProvider.device(options.device());
        this.pool = new WorkerPool(options.effectiveThreads());
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    @Override
    public Set<WeightFormat> weightFormats() {
        return Set.copyOf(FORMATS);
    }

    /** Worker threads used by every executor of this backend (the caller's thread included). */
    public int threads() {
        return pool.parallelism();
    }

    @Override
    public ModelExecutor load(ModelWeights weights) {
        if (closed) {
            throw new ModernBertException("the CPU backend is closed");
        }
        return new CpuModelExecutor(weights, pool);
    }

    /** Stops the worker threads; executors made by this backend cannot step afterwards. */
    @Override
    public void close() {
        closed = true;
        pool.close();
    }
}
