package org.modernbert.backend.tornado;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.DeviceInfo;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.EnumSet;
import java.util.Set;

/** The TornadoVM backend on one device: each loaded model is one execution plan with its weights on the device. */
final class TornadoBackend implements Backend {
    /** Matrix formats the kernels read in place: 16-bit ones decoded from their raw bits, Q8_0 as quants plus scales. */
    static final Set<WeightFormat> FORMATS = EnumSet.of(WeightFormat.F32, WeightFormat.BF16, WeightFormat.F16, WeightFormat.Q8_0);

    private final DeviceInfo info;
    private final TornadoDevice device;
    private volatile boolean closed;

    TornadoBackend(DeviceInfo info, TornadoDevice device) {
        this.info = info;
        this.device = device;
    }

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public DeviceInfo device() {
        return info;
    }

    @Override
    public Set<WeightFormat> weightFormats() {
        return Set.copyOf(FORMATS);
    }

    @Override
    public ModelExecutor load(ModelWeights weights) {
        if (closed) {
            throw new ModernBertException("the TornadoVM backend is closed");
        }
        return new TornadoModelExecutor(weights, info, device);
    }

    @Override
    public void close() {
        closed = true;
    }
}
