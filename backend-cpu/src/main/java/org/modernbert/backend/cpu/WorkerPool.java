package org.modernbert.backend.cpu;

import org.modernbert.api.ModernBertException;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One persistent set of daemon threads that splits a range of work units into contiguous chunks,
 * a few per thread, which the threads (the caller among them) claim in order from one counter. Static
 * halves left the caller waiting whenever the other core was slowed by a neighbour on this shared
 * machine; small claimed chunks let the faster thread take more. No task objects are created per call
 * (callers pass reusable {@link RangeTask}s), so a forward step allocates nothing here.
 */
final class WorkerPool implements AutoCloseable {

    /** Work over units {@code [start, end)}; {@code worker} indexes per-thread scratch (0 = caller). */
    interface RangeTask {
        void run(int start, int end, int worker);
    }

    /**
     * How long an idle worker spins before parking. A parked thread takes tens of microseconds to
     * wake (more on a busy machine), and a decode step of a 150M model dispatches ~100 regions a few
     * hundred microseconds apart: spinning across those gaps turns each wake-up into a cache-line
     * read. Between steps (sampling, other requests) a worker parks after this long.
     */
    private static final long SPIN_NANOS = 200_000;

    private final int parallelism;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    /** The first unit not yet claimed by a thread. */
    private final AtomicInteger next = new AtomicInteger();
    /** Chunks per thread: enough to even out a slowed thread, few enough that claiming costs nothing. */
    private static final int CHUNKS_PER_THREAD = 4;
    private volatile RangeTask task;
    private volatile int units;
    private volatile int chunk;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Thread caller;

    WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("a worker pool needs at least one thread, got " + threads);
        }
        this.parallelism = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            Thread t = new Thread(() -> workerLoop(index), "modernbert-cpu-" + index);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    int parallelism() {
        return parallelism;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Runs {@code task} over {@code [0, units)} in contiguous chunks (about {@link #CHUNKS_PER_THREAD}
     * per thread) whose boundaries are multiples of {@code align}; returns when every chunk is done.
     */
    synchronized void run(int units, int align, RangeTask task) {
        if (closed) {
            throw new ModernBertException("the CPU backend is closed: its worker threads are gone");
        }
        if (parallelism == 1 || units <= align) {
            task.run(0, units, 0);
            return;
        }
        this.task = task;
        this.units = units;
        long even = ((long) units + (long) parallelism * CHUNKS_PER_THREAD - 1) / ((long) parallelism * CHUNKS_PER_THREAD);
        this.chunk = (int) Math.max(align, (even + align - 1) / align * align);
        next.set(0);
        this.failure = null;
        this.caller = Thread.currentThread();
        pending.set(workers.length);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            claim(task, units, chunk, 0);
        } catch (Throwable t) {
            own = t;
        }
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (pending.get() != 0) {
            if (closed) {
                // a worker that saw the close returns without finishing: do not wait for it
                this.task = null;
                throw new ModernBertException("the CPU backend was closed during a step");
            }
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        this.task = null;
        Throwable f = own != null ? own : failure;
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
    }

    /** Runs chunks of {@code [0, units)} until none is left. */
    private void claim(RangeTask task, int units, int chunk, int index) {
        int start;
        while ((start = next.getAndAdd(chunk)) < units) {
            task.run(start, Math.min(units, start + chunk), index);
        }
    }

    private void workerLoop(int index) {
        long seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                claim(task, units, chunk, index);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
