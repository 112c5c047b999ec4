package org.modernbert.core.tokenizer;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The tokenizer fixtures under src/test/resources/tokenizers, loaded once per test JVM. */
final class FixtureTokenizers {
    static final HuggingFaceTokenizer MODERNBERT_STYLE = HuggingFaceTokenizer.load(dir("modernbert-style"));
    static final HuggingFaceTokenizer KJV = HuggingFaceTokenizer.load(dir("kjv-mbd-4m"));

    private FixtureTokenizers() {
    }

    static Path dir(String name) {
        try {
            return Path.of(FixtureTokenizers.class.getResource("/tokenizers/" + name + "/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
