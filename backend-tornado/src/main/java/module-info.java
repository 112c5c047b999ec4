/** The TornadoVM backend (GPU/FPGA). Reports itself unavailable, with the reason, where TornadoVM is absent. */
module org.modernbert.backend.tornado {
    requires org.modernbert.api;
    requires org.apache.logging.log4j;

    provides org.modernbert.api.backend.BackendProvider with org.modernbert.backend.tornado.TornadoBackendProvider;
}
