package org.modernbert.backend.cpu;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.ModelWeights;

/** The CPU backend: one persistent worker pool shared by every model it loads. */
public final class CpuBackend implements Backend {
    private final WorkerPool pool;
    private volatile boolean closed;

    public CpuBackend(BackendOptions options) {
        this.pool = new WorkerPool(options.effectiveThreads());
    }

    @Override
    public String name() {
        return "cpu";
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
