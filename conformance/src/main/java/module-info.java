/** The backend conformance suite: reference fixtures and the checks every backend must pass. */
module org.modernbert.conformance {
    requires transitive org.modernbert.core;
    requires com.fasterxml.jackson.databind;
    requires transitive org.junit.jupiter.api;
    requires org.junit.jupiter.params;

    exports org.modernbert.conformance;
    opens org.modernbert.conformance to org.junit.platform.commons;
}
