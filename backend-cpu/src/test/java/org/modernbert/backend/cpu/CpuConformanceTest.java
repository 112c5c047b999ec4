package org.modernbert.backend.cpu;

import org.modernbert.conformance.BackendConformanceSuite;

/** The CPU backend against the conformance kit (reference fixtures in their stored formats, float32 tolerances). */
class CpuConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "cpu";
    }
}
