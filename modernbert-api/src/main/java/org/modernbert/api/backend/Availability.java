package org.modernbert.api.backend;

import java.util.List;

/**
 * What a provider's probe found: available (with a short description and the devices it sees) or
 * unavailable with a reason a person can act on.
 *
 * @param devices the devices the backend can use, the default one first; empty when unavailable
 */
public record Availability(boolean available, String detail, List<DeviceInfo> devices) {
    public Availability {
        devices = List.copyOf(devices);
        if (available && devices.isEmpty()) {
            throw new IllegalArgumentException("an available backend must list at least one device");
        }
    }

    public static Availability available(String description, List<DeviceInfo> devices) {
        return new Availability(true, description, devices);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason, List.of());
    }
}
