/** Loading of Hugging Face checkpoint folders, the model family on a chosen backend, tokenizer, generation and pipelines. */
module org.modernbert.core {
    requires transitive org.modernbert.api;
    requires com.fasterxml.jackson.databind;
    requires org.apache.logging.log4j;

    exports org.modernbert.core;
    exports org.modernbert.core.backend;
    exports org.modernbert.core.safetensors;
    exports org.modernbert.core.loading;
    exports org.modernbert.core.generation;
    exports org.modernbert.core.init;
    exports org.modernbert.core.sampling;
    exports org.modernbert.core.pipeline;
    exports org.modernbert.core.tokenizer;

    uses org.modernbert.api.backend.BackendProvider;
}
