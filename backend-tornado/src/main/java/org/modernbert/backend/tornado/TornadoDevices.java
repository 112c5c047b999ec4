package org.modernbert.backend.tornado;

import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.DeviceInfo;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.util.ArrayList;
import java.util.List;

/** TornadoVM's devices; loaded only once the provider has found the runtime (it touches TornadoVM classes). */
final class TornadoDevices {
    private TornadoDevices() {
    }

    /** Every device of every TornadoVM backend, TornadoVM's default device first; ids "tornado:backend:device". */
    static Availability probe() {
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        List<DeviceInfo> devices = new ArrayList<>();
        TornadoDevice defaultDevice = runtime.getDefaultDevice();
        boolean defaultFound = false;
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            TornadoBackend backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice device = backend.getDevice(d);
                DeviceInfo info = new DeviceInfo("tornado:" + b + ":" + d, describe(device), device.getMaxGlobalMemory());
                // the first device of that name (two identical cards must not swap places)
                boolean isDefault = !defaultFound && device.getDeviceName().equals(defaultDevice.getDeviceName());
                if (isDefault) {
                    defaultFound = true;
                    devices.addFirst(info);
                } else {
                    devices.add(info);
                }
            }
        }
        if (devices.isEmpty()) {
            return Availability.unavailable("TornadoVM runtime found but it lists no devices (is an OpenCL/PTX/SPIR-V driver installed?)");
        }
        return Availability.available("TornadoVM " + devices.size() + " device(s), default " + devices.getFirst().id(), devices);
    }

    /** "model [BACKEND TYPE]", e.g. "pthread-skylake-avx512-AMD EPYC [OPENCL CPU]" (the provider's priority reads the type). */
    private static String describe(TornadoDevice device) {
        return device.getPhysicalDevice().getDeviceName() + " [" + device.getTornadoVMBackend() + " " + device.getDeviceType() + "]";
    }

    /** The device with this id (one that {@link #probe} listed). */
    static TornadoDevice device(String id) {
        String[] parts = id.split(":");
        return TornadoRuntimeProvider.getTornadoRuntime().getBackend(Integer.parseInt(parts[1])).getDevice(Integer.parseInt(parts[2]));
    }
}
