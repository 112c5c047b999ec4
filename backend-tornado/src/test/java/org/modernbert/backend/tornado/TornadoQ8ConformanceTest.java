package org.modernbert.backend.tornado;

import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.BackendConformanceSuite;

/**
 * The TornadoVM backend with every matrix quantized to Q8_0 at load (int8 quants and float scales on
 * the device): the kit's default hook widens the comparisons with the float64 reference to the
 * documented Q8_0 bounds; everything compared with the backend itself keeps float32 tolerances.
 */
class TornadoQ8ConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "tornado";
    }

    @Override
    protected BackendOptions options() {
        return BackendOptions.defaults().withQuantize(WeightFormat.Q8_0);
    }
}
