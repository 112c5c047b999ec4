package org.modernbert.backend.tornado;

import org.modernbert.conformance.BackendConformanceSuite;

/**
 * The TornadoVM backend against the conformance kit on TornadoVM's default device (PoCL here); every
 * check is skipped, with the probe's reason, where the JVM runs without TornadoVM.
 */
class TornadoConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "tornado";
    }
}
