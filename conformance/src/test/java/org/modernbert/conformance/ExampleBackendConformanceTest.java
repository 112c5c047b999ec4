package org.modernbert.conformance;

import org.modernbert.api.backend.BackendProvider;
import org.modernbert.conformance.example.ExampleBackendProvider;

/** The example backend of docs/backends.md passes the whole kit, run the way a backend author runs it. */
class ExampleBackendConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "example";
    }

    /** Not registered with ServiceLoader: the kit gets the provider object. */
    @Override
    protected BackendProvider provider() {
        return new ExampleBackendProvider();
    }
}
