/**
 * The public contract of modernbert-java: configuration, model family, KV cache, tokenizer and the
 * backend SPI. Implementations live in {@code org.modernbert.core} and in the backend modules.
 */
module org.modernbert.api {
    requires transitive com.fasterxml.jackson.databind;

    exports org.modernbert.api;
    exports org.modernbert.api.config;
    exports org.modernbert.api.tensor;
    exports org.modernbert.api.model;
    exports org.modernbert.api.cache;
    exports org.modernbert.api.backend;
    exports org.modernbert.api.tokenizer;

    uses org.modernbert.api.backend.BackendProvider;
}
