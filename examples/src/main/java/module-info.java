/** The ./modernbert command line and sample programs. */
module org.modernbert.examples {
    requires org.modernbert.core;
    requires org.modernbert.conformance;
    requires org.modernbert.server;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;
    requires org.apache.logging.log4j;
    requires org.apache.logging.log4j.core;
    requires java.net.http;
    requires java.management;
    requires jdk.incubator.vector;

    exports org.modernbert.examples.samples;
    opens org.modernbert.examples.cli to info.picocli;
}
