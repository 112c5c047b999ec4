package org.modernbert.backend.cpu;

import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.BackendConformanceSuite;

/**
 * The CPU backend with every matrix quantized to Q8_0 at load: the kit's default hook widens the
 * comparisons with the float64 reference to the documented Q8_0 bounds (QuantizedTolerances) and
 * reports greedy ids against the reference as informational; everything the backend is compared
 * with itself on keeps the float32 tolerances.
 */
class CpuQ8ConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "cpu";
    }

    @Override
    protected BackendOptions options() {
        return BackendOptions.defaults().withQuantize(WeightFormat.Q8_0);
    }
}
