package org.modernbert.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/**
 * The reference fixtures bundled with this module (copied from the project's shared fixtures, see
 * {@code fixtures/README.md}): tiny model folders with golden outputs of an independent float64
 * implementation of transformers, and tokenizer cases from HF {@code tokenizers}. Model folders are
 * real directories so they can be memory-mapped; from a jar they are extracted once to a temp dir.
 */
public final class ReferenceFixtures {
    /** Causal-LM fixtures with forward and greedy goldens. */
    public static final List<String> CAUSAL_LM_MODELS = List.of("tiny-mbd", "tiny-mbd-bf16", "tiny-mbd-f16");
    public static final String CLASSIFIER_MODEL = "tiny-mbd-cls";
    public static final String END_TO_END_MODEL = "tiny-mbd-e2e";
    /** Every fixture model, F32 ones first. */
    public static final List<String> ALL_MODELS = List.of("tiny-mbd", "tiny-mbd-cls", "tiny-mbd-bf16", "tiny-mbd-f16", "tiny-mbd-e2e");

    private static final Map<String, String[]> FILES = Map.of(
            "tiny-mbd", new String[]{"config.json", "model.safetensors", "golden.json.gz", "golden-kwargs.json.gz"},
            "tiny-mbd-bf16", new String[]{"config.json", "model.safetensors", "golden.json.gz"},
            "tiny-mbd-f16", new String[]{"config.json", "model.safetensors", "golden.json.gz"},
            "tiny-mbd-cls", new String[]{"config.json", "model.safetensors", "golden.json"},
            "tiny-mbd-e2e", new String[]{"config.json", "model.safetensors", "golden.json", "generation_config.json",
                    "tokenizer.json", "tokenizer_config.json"});
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();
    private static final Map<String, JsonNode> PARSED = new ConcurrentHashMap<>();

    private ReferenceFixtures() {
    }

    /** A fixture model folder (config.json, model.safetensors, golden file, ...). */
    public static Path modelDir(String name) {
        String[] files = FILES.get(name);
        if (files == null) {
            throw new IllegalArgumentException("no fixture model '" + name + "'; known: " + FILES.keySet());
        }
        return EXTRACTED.computeIfAbsent(name, n -> folder("fixtures/models/" + n, files));
    }

    /**
     * The classifier fixture ({@link #CLASSIFIER_MODEL}, which has no tokenizer) copied into {@code folder}
     * with a byte-level BPE tokenizer whose ids fit its 512-token vocabulary (bytes 4..259, [UNK] 0,
     * [PAD] 1, [CLS] 2, [SEP] 3): a text classifier for tests of text-in, labels-out programs.
     */
    public static Path classifierWithTokenizer(Path folder) {
        try {
            Files.createDirectories(folder);
            Path model = modelDir(CLASSIFIER_MODEL);
            for (String f : List.of("config.json", "model.safetensors")) {
                Files.copy(model.resolve(f), folder.resolve(f));
            }
            for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
                try (InputStream in = ReferenceFixtures.class.getResourceAsStream("/fixtures/tokenizers/tiny-mbd-cls-bytes/" + f)) {
                    if (in == null) {
                        throw new IllegalStateException("fixture resource tiny-mbd-cls-bytes/" + f + " is missing");
                    }
                    Files.copy(in, folder.resolve(f));
                }
            }
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the classifier fixture into " + folder, e);
        }
    }

    /** The folder of the tokenizer fixture (tokenizer.json, tokenizer_config.json, cases.jsonl). */
    public static Path tokenizerDir() {
        return EXTRACTED.computeIfAbsent("tokenizer:modernbert-style", n -> folder("fixtures/tokenizers/modernbert-style",
                new String[]{"tokenizer.json", "tokenizer_config.json", "cases.jsonl"}));
    }

    /** The golden outputs of a fixture model, parsed (once; callers must not modify the tree). */
    public static JsonNode golden(String name) {
        return read(name, "golden");
    }

    /**
     * {@code tiny-mbd}'s goldens for the other keyword arguments of {@code forward()}: {@code padded},
     * {@code position_ids}, {@code inputs_embeds}, {@code outputs} (hidden states and attentions) and
     * {@code continuation} (a cache passed to a second forward); see {@code fixtures/README.md}.
     */
    public static JsonNode goldenKwargs() {
        return read("tiny-mbd", "golden-kwargs");
    }

    private static JsonNode read(String name, String file) {
        return PARSED.computeIfAbsent(name + "/" + file, k -> parse(name, file));
    }

    private static JsonNode parse(String name, String file) {
        Path dir = modelDir(name);
        Path gz = dir.resolve(file + ".json.gz");
        try {
            if (Files.exists(gz)) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                    return JSON.readTree(in);
                }
            }
            return JSON.readTree(dir.resolve(file + ".json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " outputs of fixture " + name, e);
        }
    }

    private static Path folder(String resourceDir, String[] files) {
        URL first = ReferenceFixtures.class.getResource("/" + resourceDir + "/" + files[0]);
        if (first == null) {
            throw new IllegalStateException("fixture resource " + resourceDir + " is missing from the conformance module");
        }
        try {
            if ("file".equals(first.getProtocol())) {
                return Path.of(first.toURI()).getParent();
            }
            Path dir = Files.createTempDirectory("modernbert-fixture-");
            for (String f : files) {
                try (InputStream in = ReferenceFixtures.class.getResourceAsStream("/" + resourceDir + "/" + f)) {
                    if (in == null) {
                        throw new IllegalStateException("fixture resource " + resourceDir + "/" + f + " is missing");
                    }
                    Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract fixture " + resourceDir, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
