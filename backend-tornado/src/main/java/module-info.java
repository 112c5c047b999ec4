/**
 * The TornadoVM backend (GPU, FPGA, OpenCL CPU). Compiled against TornadoVM's API, which is only
 * required statically: without a TornadoVM installation the module graph still resolves and the
 * provider reports itself unavailable, with the reason.
 */
@SuppressWarnings("module") // tornado.runtime exists only at run time, in a TornadoVM installation
module org.modernbert.backend.tornado {
    requires org.modernbert.api;
    requires org.apache.logging.log4j;
    requires static tornado.api;

    // TornadoVM reads the kernels' bytecode reflectively
    opens org.modernbert.backend.tornado.kernel to tornado.runtime;

    provides org.modernbert.api.backend.BackendProvider with org.modernbert.backend.tornado.TornadoBackendProvider;
}
