package org.modernbert.api.backend;

/**
 * The service a backend module registers ({@code provides org.modernbert.api.backend.BackendProvider
 * with ...} and {@code META-INF/services}). Cheap to construct: all real work happens in
 * {@link #probe()} and {@link #create(BackendOptions)}.
 */
public interface BackendProvider {
    /** Short unique name users select the backend with, e.g. {@code "cpu"}. */
    String name();

    /** Higher wins when no backend is named explicitly. */
    int priority();

    /** Whether the backend can run here, on which devices, and if not, why (missing runtime, no device, ...). */
    Availability probe();

    /**
     * Creates the backend on {@code options.device()} (null: the default device); only called after
     * a successful probe. An unknown device is a {@link org.modernbert.api.ModernBertException} that
     * lists the devices there are.
     */
    Backend create(BackendOptions options);
}
