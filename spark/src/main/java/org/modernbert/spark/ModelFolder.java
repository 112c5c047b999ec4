package org.modernbert.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.modernbert.api.IoErrors;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.loading.CheckpointLoader;
import org.modernbert.core.loading.LoadedCheckpoint;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/** The files of a Hugging Face model folder that a task reads, their fingerprint, and validation on the driver. */
final class ModelFolder {
    static final String CONFIG = "config.json";
    static final String WEIGHTS = "model.safetensors";
    static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String GENERATION_CONFIG = "generation_config.json";

    private ModelFolder() {
    }

    /**
     * config.json, tokenizer.json, tokenizer_config.json and generation_config.json when present (the
     * special tokens and generation defaults come from them), and the weights (single file or index and shards).
     */
    static List<String> files(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new ModernBertException("model folder " + folder + " does not exist or is not a directory");
        }
        List<String> missing = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (String required : List.of(CONFIG, TOKENIZER)) {
            if (Files.isRegularFile(folder.resolve(required))) {
                files.add(required);
            } else {
                missing.add(required);
            }
        }
        for (String optional : List.of(TOKENIZER_CONFIG, GENERATION_CONFIG)) {
            if (Files.isRegularFile(folder.resolve(optional))) {
                files.add(optional);
            }
        }
        if (Files.isRegularFile(folder.resolve(WEIGHTS))) {
            files.add(WEIGHTS);
        } else if (Files.isRegularFile(folder.resolve(WEIGHTS_INDEX))) {
            files.add(WEIGHTS_INDEX);
            files.addAll(shards(folder.resolve(WEIGHTS_INDEX)));
        } else {
            missing.add(WEIGHTS + " (or its shard index " + WEIGHTS_INDEX + ")");
        }
        if (!missing.isEmpty()) {
            throw new ModernBertException("model folder " + folder + " is not a Hugging Face model folder for this job: it has no "
                    + String.join(", no ", missing));
        }
        return files;
    }

    private static List<String> shards(Path index) {
        try {
            JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
            if (!map.isObject() || map.isEmpty()) {
                throw new ModernBertException(index + ": field \"weight_map\" is missing or empty; expected tensor name -> shard file");
            }
            TreeSet<String> shards = new TreeSet<>();
            map.properties().forEach(e -> shards.add(e.getValue().asText()));
            return List.copyOf(shards);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModernBertException(index + ": not valid JSON at " + IoErrors.json(e), e);
        } catch (IOException e) {
            throw new ModernBertException("cannot read " + index + ": " + IoErrors.reason(e), e);
        }
    }

    /** SHA-256 over each file's name and contents, in the given order. */
    static String sha256(Path folder, List<String> files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (String name : files) {
                digest.update(name.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                try (InputStream in = Files.newInputStream(folder.resolve(name))) {
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new ModernBertException("cannot read model folder " + folder + ": " + IoErrors.reason(e), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /**
     * Everything a task will need, checked before any task runs: the head the task needs, the
     * tensors' names and shapes (mapped, not loaded), the tokenizer and the generation defaults.
     */
    static void validate(Path folder, HeadKind head) {
        ModernBertDecoderConfig config = CheckpointLoader.readConfig(folder);
        HeadKind has = CheckpointLoader.headFor(config);
        if (has != head) {
            throw new ModernBertException("model folder " + folder + " is " + config.architectures()
                    + " but this task needs " + (head == HeadKind.CLASSIFIER
                    ? "ModernBertDecoderForSequenceClassification" : "ModernBertDecoderForCausalLM"));
        }
        try (LoadedCheckpoint ignored = CheckpointLoader.load(folder, head)) {
            // opening maps and checks every tensor; nothing is copied
        }
        HuggingFaceTokenizer.load(folder);
        if (head == HeadKind.LANGUAGE_MODEL) {
            GenerationConfig.fromModelFolder(folder);
        }
    }
}
