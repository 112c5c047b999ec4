package org.modernbert.backend.cpu;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerPoolTest {
    @Test
    void everyUnitRunsExactlyOnceInContiguousAlignedChunks() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int units : new int[]{1, 2, 3, 7, 64, 1001}) {
                    for (int align : new int[]{1, 4}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(units);
                        int a = align;
                        pool.run(units, align, (start, end, worker) -> {
                            assertTrue(start < end);
                            if (end != units) {
                                assertEquals(0, end % a, "inner chunk boundaries are aligned");
                            }
                            for (int i = start; i < end; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < units; i++) {
                            assertEquals(1, hits.get(i), "unit " + i + " with " + units + " units on " + pool.parallelism() + " threads");
                        }
                    }
                }
            }
        }
    }

    @Test
    void aFailureOnAnyThreadReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            // chunks are claimed, so which thread runs the last unit varies: it fails wherever it runs
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(90, 1, (s, e2, w) -> {
                if (e2 == 90) {
                    throw new IllegalStateException("boom in the last chunk");
                }
            }));
            assertEquals("boom in the last chunk", e.getMessage());
            // the pool still works afterwards
            AtomicIntegerArray hits = new AtomicIntegerArray(90);
            pool.run(90, 1, (s, e2, w) -> {
                for (int i = s; i < e2; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 90; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void closedPoolRefusesWork() {
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        ModernBertException e = assertThrows(ModernBertException.class, () -> pool.run(10, 1, (s, e2, w) -> { }));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
