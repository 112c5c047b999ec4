package org.modernbert.api.backend;

/**
 * A device a backend can run on, as its probe sees it.
 *
 * @param id          what {@link BackendOptions#device()} selects it by, e.g. {@code "cpu"} or {@code "opencl:0:1"}
 * @param name        a human-readable name (processor or GPU model)
 * @param memoryBytes the memory that weights and caches live in on that device (for the CPU: the Java heap limit)
 */
public record DeviceInfo(String id, String name, long memoryBytes) {
}
