/** The CPU backend: whole-model execution with Java Vector API kernels on all cores. */
module org.modernbert.backend.cpu {
    requires org.modernbert.api;
    requires jdk.incubator.vector;
    requires org.apache.logging.log4j;

    provides org.modernbert.api.backend.BackendProvider with org.modernbert.backend.cpu.CpuBackendProvider;
}
