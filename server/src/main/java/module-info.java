/** An OpenAI-compatible HTTP server (completions, streaming, tokenize, classify, metrics) on the JDK's HTTP server. */
module org.modernbert.server {
    requires transitive org.modernbert.core; // ServerOptions carries BackendOptions
    requires jdk.httpserver;
    requires com.fasterxml.jackson.databind;
    requires org.apache.logging.log4j;

    exports org.modernbert.server;
}
