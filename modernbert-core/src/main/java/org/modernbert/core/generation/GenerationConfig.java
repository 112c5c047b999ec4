package org.modernbert.core.generation;

import org.modernbert.api.IoErrors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code GenerationConfig}: the knobs of one generation request, with transformers'
 * names (in messages) and defaults. Immutable and validated on construction; make a changed copy with
 * {@link #toBuilder()}.
 *
 * <p>Length: {@code max_new_tokens} wins over {@code max_length} (prompt plus new tokens); with
 * neither, {@code max_length} is 20 as in transformers. A prompt that already reaches
 * {@code max_length} is an error (transformers raises a {@code ValueError}).
 *
 * @param maxNewTokens       {@code max_new_tokens}, or null
 * @param maxLength          {@code max_length} (prompt plus new tokens), or null for 20
 * @param minNewTokens       {@code min_new_tokens}: eos is suppressed until this many tokens are generated
 * @param doSample           {@code do_sample}: sample from the processed distribution instead of argmax
 * @param temperature        {@code temperature} (sampling only), default 1.0
 * @param topK               {@code top_k} (sampling only), default 50; 0 disables
 * @param topP               {@code top_p} (sampling only), default 1.0
 * @param minP               {@code min_p} (sampling only), or null
 * @param typicalP           {@code typical_p} (sampling only), default 1.0
 * @param repetitionPenalty  {@code repetition_penalty}, default 1.0, over prompt and generated tokens
 * @param noRepeatNgramSize  {@code no_repeat_ngram_size}, default 0 (off)
 * @param numReturnSequences {@code num_return_sequences} per prompt, default 1 (more needs sampling)
 * @param eosTokenIds        {@code eos_token_id} (an int or a list in JSON); empty: never stop at eos; an id
 *                           outside the vocabulary is accepted and never stops a sequence ({@code generate}
 *                           logs one warning per request)
 * @param padTokenId         {@code pad_token_id}, or null (kept for completeness: rows are never padded, so
 *                           any integer is accepted)
 * @param bosTokenId         {@code bos_token_id}, or null (not used: prompts are never empty; any integer)
 * @param stopStrings        {@code stop_strings}: stop when the generated text contains one
 * @param maxTime            {@code max_time} in seconds, or null
 * @param seed               seed of the sampling random generator, or null for a fresh random seed
 */
public record GenerationConfig(Integer maxNewTokens, Integer maxLength, int minNewTokens, boolean doSample,
                               double temperature, int topK, double topP, Double minP, double typicalP,
                               double repetitionPenalty, int noRepeatNgramSize, int numReturnSequences,
                               List<Integer> eosTokenIds, Integer padTokenId, Integer bosTokenId,
                               List<String> stopStrings, Double maxTime, Long seed) {
    /** transformers' {@code max_length} when neither it nor {@code max_new_tokens} is given. */
    public static final int DEFAULT_MAX_LENGTH = 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        stopStrings = List.copyOf(stopStrings);
        if (maxNewTokens != null && maxNewTokens <= 0) {
            throw new ModernBertException("max_new_tokens must be greater than 0, got " + maxNewTokens);
        }
        if (maxLength != null && maxLength <= 0) {
            throw new ModernBertException("max_length must be greater than 0, got " + maxLength);
        }
        if (minNewTokens < 0) {
            throw new ModernBertException("min_new_tokens must be >= 0, got " + minNewTokens);
        }
        if (Double.isNaN(temperature) || (doSample && !(temperature > 0 && temperature < Double.POSITIVE_INFINITY))) {
            throw new ModernBertException("temperature must be a strictly positive number when sampling (do_sample), got "
                    + temperature + "; use greedy decoding (do_sample false) for deterministic output");
        }
        if (topK < 0) {
            throw new ModernBertException("top_k must be >= 0 (0 disables it), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new ModernBertException("top_p must be in (0, 1], got " + topP);
        }
        if (minP != null && !(minP >= 0 && minP <= 1)) {
            throw new ModernBertException("min_p must be in [0, 1], got " + minP);
        }
        if (!(typicalP > 0 && typicalP <= 1)) {
            throw new ModernBertException("typical_p must be in (0, 1], got " + typicalP);
        }
        if (!(repetitionPenalty > 0 && repetitionPenalty < Double.POSITIVE_INFINITY)) {
            throw new ModernBertException("repetition_penalty must be a strictly positive number, got " + repetitionPenalty);
        }
        if (noRepeatNgramSize < 0) {
            throw new ModernBertException("no_repeat_ngram_size must be >= 0, got " + noRepeatNgramSize);
        }
        if (numReturnSequences < 1) {
            throw new ModernBertException("num_return_sequences must be at least 1, got " + numReturnSequences);
        }
        if (numReturnSequences > 1 && !doSample) {
            // transformers: greedy search without beams cannot return different sequences.
            throw new ModernBertException("num_return_sequences " + numReturnSequences
                    + " needs sampling (do_sample true): greedy decoding would return the same sequence each time");
        }
        // Any integer id is accepted, as transformers accepts it; it is checked where it is used: an eos
        // id outside the vocabulary never stops a sequence (Generator warns once per request), pad and
        // bos are not used by generation (rows are never padded, prompts are never empty).
        for (Integer id : eosTokenIds) {
            if (id == null) {
                throw new ModernBertException("eos_token_id must hold integer token ids, got " + eosTokenIds);
            }
        }
        for (String s : stopStrings) {
            if (s == null || s.isEmpty()) {
                throw new ModernBertException("stop_strings must not contain an empty string");
            }
        }
        if (maxTime != null && !(maxTime > 0)) {
            throw new ModernBertException("max_time must be a positive number of seconds, got " + maxTime);
        }
    }

    /** transformers' defaults: greedy, {@code max_length} 20, no eos. */
    public static GenerationConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.maxLength = maxLength;
        b.minNewTokens = minNewTokens;
        b.doSample = doSample;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.typicalP = typicalP;
        b.repetitionPenalty = repetitionPenalty;
        b.noRepeatNgramSize = noRepeatNgramSize;
        b.numReturnSequences = numReturnSequences;
        b.eosTokenIds = new ArrayList<>(eosTokenIds);
        b.padTokenId = padTokenId;
        b.bosTokenId = bosTokenId;
        b.stopStrings = new ArrayList<>(stopStrings);
        b.maxTime = maxTime;
        b.seed = seed;
        return b;
    }

    /**
     * How many tokens a prompt of {@code promptLength} tokens may get: {@code max_new_tokens}, else
     * {@code max_length} minus the prompt, else 20 minus the prompt (at least one: a prompt that
     * reaches {@code max_length} is rejected by {@link Generator#requireFits}).
     */
    public int maxNewTokensFor(int promptLength) {
        if (maxNewTokens != null) {
            return maxNewTokens;
        }
        int total = maxLength != null ? maxLength : DEFAULT_MAX_LENGTH;
        return Math.max(1, total - promptLength);
    }

    /**
     * The sampling knobs set away from their defaults while {@code do_sample} is false: they are
     * ignored, and transformers warns about each ({@code GenerationConfig.validate}).
     */
    public List<String> ignoredSamplingFields() {
        List<String> out = new ArrayList<>();
        if (doSample) {
            return out;
        }
        if (temperature != 1.0) {
            out.add("temperature");
        }
        if (topK != 50) {
            out.add("top_k");
        }
        if (topP != 1.0) {
            out.add("top_p");
        }
        if (minP != null) {
            out.add("min_p");
        }
        if (typicalP != 1.0) {
            out.add("typical_p");
        }
        return out;
    }

    public int[] eosTokenIdArray() {
        return eosTokenIds.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---- reading ----

    /**
     * The generation defaults of a model folder: {@code generation_config.json} when present, with
     * any token id it lacks (eos, bos, pad) taken from {@code config.json}; without it, transformers'
     * defaults plus the token ids of {@code config.json}.
     */
    public static GenerationConfig fromModelFolder(Path folder) {
        Builder b = builder();
        Path gen = folder.resolve("generation_config.json");
        boolean hasEos = false;
        if (Files.exists(gen)) {
            JsonNode root = readJson(gen);
            hasEos = root.has("eos_token_id") && !root.get("eos_token_id").isNull();
            applyJson(b, root, gen.toString());
        }
        Path cfgFile = folder.resolve("config.json");
        if (Files.exists(cfgFile)) {
            ModernBertDecoderConfig cfg = ModernBertDecoderConfig.fromJsonFile(cfgFile);
            if (!hasEos && !cfg.eosTokenIds().isEmpty()) {
                b.eosTokenIds(cfg.eosTokenIds());
            }
            if (b.padTokenId == null) {
                b.padTokenId = cfg.padTokenId();
            }
            if (b.bosTokenId == null) {
                b.bosTokenId = cfg.bosTokenId();
            }
        }
        return b.build();
    }

    /** Parses generation_config.json text over transformers' defaults; {@code source} names it in errors. */
    public static GenerationConfig fromJson(String json, String source) {
        Builder b = builder();
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ModernBertException(e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? source + ": not valid JSON at " + IoErrors.json(j) : "cannot read " + source + ": " + IoErrors.reason(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModernBertException(source + " must hold a JSON object");
        }
        applyJson(b, root, source);
        return b.build();
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw new ModernBertException(file + " must hold a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new ModernBertException(e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? file + ": not valid JSON at " + IoErrors.json(j) : "cannot read " + file + ": " + IoErrors.reason(e), e);
        }
    }

    /** Sets the known keys; keys this SDK does not use (e.g. transformers_version, num_beams 1) are ignored. */
    private static void applyJson(Builder b, JsonNode root, String source) {
        try {
            root.fields().forEachRemaining(e -> {
                String k = e.getKey();
                JsonNode v = e.getValue();
                switch (k) {
                    case "max_new_tokens" -> b.maxNewTokens = optInt(k, v);
                    case "max_length" -> b.maxLength = optInt(k, v);
                    case "min_new_tokens" -> b.minNewTokens = v.isNull() ? 0 : intValue(k, v);
                    case "do_sample" -> b.doSample = boolValue(k, v);
                    case "temperature" -> b.temperature = v.isNull() ? 1.0 : doubleValue(k, v);
                    case "top_k" -> b.topK = v.isNull() ? 0 : intValue(k, v);
                    case "top_p" -> b.topP = v.isNull() ? 1.0 : doubleValue(k, v);
                    case "min_p" -> b.minP = v.isNull() ? null : doubleValue(k, v);
                    case "typical_p" -> b.typicalP = v.isNull() ? 1.0 : doubleValue(k, v);
                    case "repetition_penalty" -> b.repetitionPenalty = v.isNull() ? 1.0 : doubleValue(k, v);
                    case "no_repeat_ngram_size" -> b.noRepeatNgramSize = v.isNull() ? 0 : intValue(k, v);
                    case "num_return_sequences" -> b.numReturnSequences = v.isNull() ? 1 : intValue(k, v);
                    case "eos_token_id" -> b.eosTokenIds = intList(k, v);
                    case "pad_token_id" -> b.padTokenId = optInt(k, v);
                    case "bos_token_id" -> b.bosTokenId = optInt(k, v);
                    case "stop_strings" -> b.stopStrings = stringList(k, v);
                    case "max_time" -> b.maxTime = v.isNull() ? null : doubleValue(k, v);
                    case "num_beams" -> {
                        if (!v.isNull() && intValue(k, v) != 1) {
                            throw new ModernBertException("field num_beams is " + v + ": beam search is not supported, expected 1");
                        }
                    }
                    default -> {
                    }
                }
            });
            b.build();
        } catch (ModernBertException e) {
            throw new ModernBertException(source + ": " + e.getMessage(), e);
        }
    }

    private static Integer optInt(String k, JsonNode v) {
        return v.isNull() ? null : intValue(k, v);
    }

    private static int intValue(String k, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModernBertException("field " + k + " must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static double doubleValue(String k, JsonNode v) {
        if (!v.isNumber()) {
            throw new ModernBertException("field " + k + " must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static boolean boolValue(String k, JsonNode v) {
        if (!v.isBoolean()) {
            throw new ModernBertException("field " + k + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static List<Integer> intList(String k, JsonNode v) {
        List<Integer> out = new ArrayList<>();
        if (v.isNull()) {
            return out;
        }
        if (v.isArray()) {
            for (JsonNode n : v) {
                out.add(intValue(k, n));
            }
        } else {
            out.add(intValue(k, v));
        }
        return out;
    }

    private static List<String> stringList(String k, JsonNode v) {
        List<String> out = new ArrayList<>();
        if (v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
            return out;
        }
        if (!v.isArray()) {
            throw new ModernBertException("field " + k + " must be a string or a list of strings, got " + v);
        }
        for (JsonNode n : v) {
            if (!n.isTextual()) {
                throw new ModernBertException("field " + k + " must be a string or a list of strings, got " + v);
            }
            out.add(n.asText());
        }
        return out;
    }

    /** Mutable builder with transformers' defaults; {@link #build()} validates. */
    public static final class Builder {
        private Integer maxNewTokens;
        private Integer maxLength;
        private int minNewTokens;
        private boolean doSample;
        private double temperature = 1.0;
        private int topK = 50;
        private double topP = 1.0;
        private Double minP;
        private double typicalP = 1.0;
        private double repetitionPenalty = 1.0;
        private int noRepeatNgramSize;
        private int numReturnSequences = 1;
        private List<Integer> eosTokenIds = new ArrayList<>();
        private Integer padTokenId;
        private Integer bosTokenId;
        private List<String> stopStrings = new ArrayList<>();
        private Double maxTime;
        private Long seed;

        private Builder() {
        }

        public Builder maxNewTokens(Integer v) { maxNewTokens = v; return this; }
        public Builder maxLength(Integer v) { maxLength = v; return this; }
        public Builder minNewTokens(int v) { minNewTokens = v; return this; }
        public Builder doSample(boolean v) { doSample = v; return this; }
        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(Double v) { minP = v; return this; }
        public Builder typicalP(double v) { typicalP = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder noRepeatNgramSize(int v) { noRepeatNgramSize = v; return this; }
        public Builder numReturnSequences(int v) { numReturnSequences = v; return this; }
        public Builder eosTokenIds(List<Integer> v) { eosTokenIds = new ArrayList<>(v); return this; }
        public Builder eosTokenId(int v) { eosTokenIds = new ArrayList<>(List.of(v)); return this; }
        public Builder padTokenId(Integer v) { padTokenId = v; return this; }
        public Builder bosTokenId(Integer v) { bosTokenId = v; return this; }
        public Builder stopStrings(List<String> v) { stopStrings = new ArrayList<>(v); return this; }
        public Builder maxTime(Double v) { maxTime = v; return this; }
        public Builder seed(Long v) { seed = v; return this; }

        /**
         * Greedy decoding: {@code do_sample} false, one sequence, and the sampling knobs back at their
         * defaults (greedy ignores them; resetting keeps a model's sampling defaults from being reported
         * as ignored).
         */
        public Builder greedy() {
            doSample = false;
            numReturnSequences = 1;
            temperature = 1.0;
            topK = 50;
            topP = 1.0;
            minP = null;
            typicalP = 1.0;
            return this;
        }

        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, maxLength, minNewTokens, doSample, temperature, topK, topP, minP,
                    typicalP, repetitionPenalty, noRepeatNgramSize, numReturnSequences, eosTokenIds, padTokenId,
                    bosTokenId, stopStrings, maxTime, seed);
        }
    }
}
