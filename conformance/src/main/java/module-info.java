/**
 * The backend conformance kit: the reference fixtures, the checks every backend must pass
 * ({@link org.modernbert.conformance.BackendConformanceSuite}, extended from a backend's tests) and
 * {@link org.modernbert.conformance.ConformanceRunner}, which runs them outside a build.
 */
module org.modernbert.conformance {
    requires transitive org.modernbert.core;
    requires com.fasterxml.jackson.databind;
    requires transitive org.junit.jupiter.api;
    requires org.junit.jupiter.params;
    requires org.junit.platform.launcher;

    exports org.modernbert.conformance;
    opens org.modernbert.conformance to org.junit.platform.commons;
}
