package org.modernbert.backend.cpu;

import org.modernbert.conformance.BackendConformanceSuite;

/** The CPU backend against the shared conformance suite (reference fixtures, tight tolerances). */
class CpuConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
