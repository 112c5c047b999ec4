package org.modernbert.backend.tornado.kernel;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs one kernel task on TornadoVM's default device: inputs in, one task, outputs back. */
final class DeviceRunner {
    private static final AtomicInteger GRAPHS = new AtomicInteger();

    private DeviceRunner() {
    }

    /** Skips the calling test, with the reason, where no TornadoVM runtime is on the JVM. */
    static void assumeDevice() {
        assumeTrue(System.getenv("TORNADO_SDK") != null,
                "TORNADO_SDK is not set: the kernels run only on a TornadoVM device (see ../shared/tornadovm/setup.sh)");
        assumeTrue(System.getProperty("tornado.load.runtime.implementation") != null,
                "TORNADO_SDK is set but this JVM was not started with @$TORNADO_SDK/tornado.argfile");
    }

    /**
     * @param task adds the task named "t" to the graph, given the KernelContext to pass
     * @param in   everything the task reads (copied to the device)
     * @param out  everything it writes that the test checks (copied back)
     */
    static void run(int global, int local, BiConsumer<TaskGraph, KernelContext> task, Object[] in, Object... out) {
        String name = "k" + GRAPHS.incrementAndGet();
        KernelContext ctx = new KernelContext();
        TaskGraph graph = new TaskGraph(name).transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
        task.accept(graph, ctx);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        WorkerGrid1D grid = new WorkerGrid1D(global);
        grid.setLocalWork(local, 1, 1);
        GridScheduler scheduler = new GridScheduler(name + ".t", grid);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withGridScheduler(scheduler).execute();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Object[] in(Object... objects) {
        return objects;
    }
}
