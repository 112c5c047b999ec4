package org.modernbert.api.config;

import org.modernbert.api.IoErrors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code ModernBertDecoderConfig} of Hugging Face transformers: every field with the defaults of the
 * transformers documentation, plus the {@code PretrainedConfig} fields this model family uses
 * (architectures, labels, problem type, tied embeddings). Immutable and validated on construction.
 *
 * <p>Layer types: an explicit {@code layer_types} list wins; without it layer {@code i} is full
 * attention when {@code i % global_attn_every_n_layers == 0} and sliding otherwise. {@code
 * sliding_window} in a config.json is derived by transformers and ignored here in favour of {@code
 * local_attention} (window = {@code local_attention / 2}). Unknown keys are kept in {@link #extra()}.
 *
 * <p>What loads: whatever transformers' {@code ModernBertDecoderConfig} and {@code PretrainedConfig}
 * load and transformers can build a model from. Refused, with the field and the accepted range:
 * values transformers rejects (an unknown {@code layer_types} entry, {@code problem_type}, an
 * {@code id2label} key that is not an integer, a wrong type) and values with which transformers fails
 * to build or run the model (sizes that are not positive, {@code hidden_size} not divisible by {@code
 * num_attention_heads}, an odd head dimension, a dropout outside [0, 1], a {@code pad_token_id}
 * outside {@code [-vocab_size, vocab_size)}, which torch's {@code nn.Embedding(padding_idx=...)}
 * asserts). Settings only some layers use ({@code local_attention}, {@code local_rope_theta},
 * {@code global_rope_theta}, {@code global_attn_every_n_layers}) are checked only when a layer uses them.
 *
 * <p>Special-token ids are checked where they are used, not here: {@code cls_token_id} and {@code
 * sep_token_id} (the transformers defaults 50281/50282 are fine with a small vocabulary) are not
 * used by this SDK; an {@code eos_token_id} outside the vocabulary can never be generated, so
 * {@code generate} logs one warning per request and stops by the other criteria (length, stop
 * strings, time); {@code bos_token_id} is not used (prompts are never empty) and {@code
 * pad_token_id} only by callers that pad, since rows here are never padded.
 */
public final class ModernBertDecoderConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int vocabSize;
    private final int hiddenSize;
    private final int intermediateSize;
    private final int numHiddenLayers;
    private final int numAttentionHeads;
    private final Activation hiddenActivation;
    private final int maxPositionEmbeddings;
    private final double initializerRange;
    private final double initializerCutoffFactor;
    private final double normEps;
    private final boolean normBias;
    private final Integer padTokenId;
    private final Integer eosTokenId;
    private final List<Integer> eosTokenIds;
    private final Integer bosTokenId;
    private final Integer clsTokenId;
    private final Integer sepTokenId;
    private final double globalRopeTheta;
    private final boolean attentionBias;
    private final double attentionDropout;
    private final double embeddingDropout;
    private final boolean mlpBias;
    private final double mlpDropout;
    private final boolean decoderBias;
    private final double classifierDropout;
    private final boolean classifierBias;
    private final Activation classifierActivation;
    private final boolean useCache;
    private final int localAttention;
    private final int globalAttnEveryNLayers;
    private final double localRopeTheta;
    private final List<AttentionType> layerTypes;
    private final boolean layerTypesExplicit;
    private final List<String> architectures;
    private final boolean tieWordEmbeddings;
    private final Map<Integer, String> id2label;
    private final Map<String, Integer> label2id;
    private final int numLabels;
    private final ProblemType problemType;
    private final String torchDtype;
    private final Map<String, JsonNode> extra;

    private ModernBertDecoderConfig(Builder b) {
        vocabSize = b.vocabSize;
        hiddenSize = b.hiddenSize;
        intermediateSize = b.intermediateSize;
        numHiddenLayers = b.numHiddenLayers;
        numAttentionHeads = b.numAttentionHeads;
        hiddenActivation = b.hiddenActivation;
        maxPositionEmbeddings = b.maxPositionEmbeddings;
        initializerRange = b.initializerRange;
        initializerCutoffFactor = b.initializerCutoffFactor;
        normEps = b.normEps;
        normBias = b.normBias;
        padTokenId = b.padTokenId;
        eosTokenId = b.eosTokenId;
        bosTokenId = b.bosTokenId;
        clsTokenId = b.clsTokenId;
        sepTokenId = b.sepTokenId;
        globalRopeTheta = b.ropeFullTheta != null ? b.ropeFullTheta : b.globalRopeTheta;
        attentionBias = b.attentionBias;
        attentionDropout = b.attentionDropout;
        embeddingDropout = b.embeddingDropout;
        mlpBias = b.mlpBias;
        mlpDropout = b.mlpDropout;
        decoderBias = b.decoderBias;
        classifierDropout = b.classifierDropout;
        classifierBias = b.classifierBias;
        classifierActivation = b.classifierActivation;
        useCache = b.useCache;
        localAttention = b.localAttention;
        globalAttnEveryNLayers = b.globalAttnEveryNLayers;
        localRopeTheta = b.ropeSlidingTheta != null ? b.ropeSlidingTheta
                : b.localRopeTheta == null ? b.globalRopeTheta : b.localRopeTheta;
        eosTokenIds = b.eosTokenIds != null ? List.copyOf(b.eosTokenIds)
                : eosTokenId == null ? List.of() : List.of(eosTokenId);
        architectures = List.copyOf(b.architectures);
        tieWordEmbeddings = b.tieWordEmbeddings;
        problemType = b.problemType;
        torchDtype = b.torchDtype;
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(b.extra));
        validateSizes();
        if (b.layerTypes != null) {
            layerTypes = List.copyOf(b.layerTypes);
            layerTypesExplicit = true;
        } else {
            if (globalAttnEveryNLayers == 0) {
                throw new ConfigException("global_attn_every_n_layers must not be 0 without layer_types: layer i uses full"
                        + " attention when i % global_attn_every_n_layers == 0 (transformers fails dividing by it too)");
            }
            List<AttentionType> derived = new ArrayList<>(numHiddenLayers);
            for (int i = 0; i < numHiddenLayers; i++) {
                derived.add(i % globalAttnEveryNLayers == 0 ? AttentionType.FULL_ATTENTION : AttentionType.SLIDING_ATTENTION);
            }
            layerTypes = List.copyOf(derived);
            layerTypesExplicit = false;
        }
        if (layerTypes.size() != numHiddenLayers) {
            throw new ConfigException("layer_types has " + layerTypes.size() + " entries but num_hidden_layers is "
                    + numHiddenLayers + ": expected one entry per layer");
        }
        validateLayerSettings();
        // Labels as PretrainedConfig: id2label wins over a disagreeing num_labels (transformers only warns)
        // and num_labels is its size, ids as given (a label without a name reads LABEL_i where used);
        // without id2label, num_labels (default 2) generates LABEL_i, none for num_labels <= 0.
        Map<Integer, String> labels = new LinkedHashMap<>();
        if (b.id2label != null) {
            labels.putAll(b.id2label);
        } else {
            int n = b.numLabels == null ? 2 : b.numLabels;
            for (int i = 0; i < n; i++) {
                labels.put(i, "LABEL_" + i);
            }
        }
        id2label = Collections.unmodifiableMap(labels);
        numLabels = labels.size();
        Map<String, Integer> l2i = new LinkedHashMap<>();
        if (b.label2id != null) {
            l2i.putAll(b.label2id);
        } else {
            labels.forEach((id, name) -> l2i.put(name, id));
        }
        label2id = Collections.unmodifiableMap(l2i);
    }

    private void validateSizes() {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new ConfigException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads "
                    + numAttentionHeads + ": each head needs hidden_size / num_attention_heads dimensions"
                    + " (transformers refuses it too when it builds the model)");
        }
        if ((hiddenSize / numAttentionHeads) % 2 != 0) {
            throw new ConfigException("head dimension hidden_size / num_attention_heads = " + (hiddenSize / numAttentionHeads)
                    + " is odd: rotary embeddings need an even head dimension (transformers fails at its first forward)");
        }
        if (!(normEps >= 0) || Double.isInfinite(normEps)) {
            throw new ConfigException("norm_eps must be a finite number >= 0, got " + normEps
                    + ": a negative epsilon makes layer norm take the square root of a negative number");
        }
        dropout("attention_dropout", attentionDropout);
        dropout("embedding_dropout", embeddingDropout);
        dropout("mlp_dropout", mlpDropout);
        // nn.Embedding(vocab_size, hidden_size, padding_idx=pad_token_id): torch asserts
        // -vocab_size <= padding_idx < vocab_size when transformers builds the model.
        if (padTokenId != null && (padTokenId < -vocabSize || padTokenId >= vocabSize)) {
            throw new ConfigException("pad_token_id " + padTokenId + " is outside the vocabulary of " + vocabSize
                    + " tokens (accepted: " + (-vocabSize) + " to " + (vocabSize - 1) + ", or null): transformers builds the"
                    + " token embedding with padding_idx = pad_token_id and fails to construct the model with it");
        }
    }

    /** Checks that depend on which layer types are present (a setting no layer uses is not checked). */
    private void validateLayerSettings() {
        boolean anySliding = layerTypes.contains(AttentionType.SLIDING_ATTENTION);
        boolean anyFull = layerTypes.contains(AttentionType.FULL_ATTENTION);
        if (anySliding && localAttention < 2) {
            throw new ConfigException("local_attention must be at least 2 when a layer uses sliding attention, got "
                    + localAttention + " (the window is local_attention / 2 and must hold the position itself)");
        }
        if (anyFull && !(globalRopeTheta > 0 && Double.isFinite(globalRopeTheta))) {
            throw new ConfigException("global_rope_theta must be a positive number when a layer uses full attention, got "
                    + globalRopeTheta + ": the rotary frequencies are powers of it");
        }
        if (anySliding && !(localRopeTheta > 0 && Double.isFinite(localRopeTheta))) {
            throw new ConfigException("local_rope_theta must be a positive number when a layer uses sliding attention, got "
                    + localRopeTheta + ": the rotary frequencies are powers of it");
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new ConfigException(field + " must be positive, got " + value
                    + (value < 0 ? " (transformers cannot build a model with a negative size either)"
                    : " (a model needs at least one)"));
        }
    }

    /** torch's {@code nn.Dropout(p)} refuses p outside [0, 1] when transformers builds the model. */
    private static void dropout(String field, double p) {
        if (p < 0 || p > 1) {
            throw new ConfigException(field + " must be between 0 and 1, got " + p
                    + " (torch refuses such a dropout when transformers builds the model; it is inactive at inference)");
        }
    }

    // ---- reading ----

    /** Reads and validates {@code config.json}; errors name the file and the field. */
    public static ModernBertDecoderConfig fromJsonFile(Path configJson) {
        String text;
        try {
            text = Files.readString(configJson);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + configJson + ": " + IoErrors.reason(e), e);
        }
        try {
            return fromJson(text);
        } catch (ConfigException e) {
            throw new ConfigException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Parses config.json text. */
    public static ModernBertDecoderConfig fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException("config is not valid JSON at " + IoErrors.json(e));
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("config must be a JSON object");
        }
        // transformers picks the config class by model_type: another model's config is refused first,
        // before its other fields give misleading errors against the ModernBERT-decoder defaults.
        JsonNode modelType = root.get("model_type");
        if (modelType != null && modelType.isTextual() && !modelType.asText().equals("modernbert-decoder")) {
            String hint = modelType.asText().equals("modernbert")
                    ? " (the ModernBERT encoder, a different model)" : "";
            throw new ConfigException("model_type is \"" + modelType.asText() + "\"" + hint
                    + ": this SDK runs ModernBERT decoder checkpoints (model_type \"modernbert-decoder\")");
        }
        Builder b = builder();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            b.set(e.getKey(), e.getValue());
        }
        return b.build();
    }

    /** The config as config.json text (known fields plus the kept unknown keys). */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putPOJO("architectures", architectures);
        o.put("model_type", "modernbert-decoder");
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("hidden_activation", hiddenActivation.hfName());
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("initializer_range", initializerRange);
        o.put("initializer_cutoff_factor", initializerCutoffFactor);
        o.put("norm_eps", normEps);
        o.put("norm_bias", normBias);
        o.put("pad_token_id", padTokenId);
        if (eosTokenIds.size() > 1) {
            o.putPOJO("eos_token_id", eosTokenIds);
        } else {
            o.put("eos_token_id", eosTokenId);
        }
        o.put("bos_token_id", bosTokenId);
        o.put("cls_token_id", clsTokenId);
        o.put("sep_token_id", sepTokenId);
        o.put("global_rope_theta", globalRopeTheta);
        o.put("attention_bias", attentionBias);
        o.put("attention_dropout", attentionDropout);
        o.put("embedding_dropout", embeddingDropout);
        o.put("mlp_bias", mlpBias);
        o.put("mlp_dropout", mlpDropout);
        o.put("decoder_bias", decoderBias);
        o.put("classifier_dropout", classifierDropout);
        o.put("classifier_bias", classifierBias);
        o.put("classifier_activation", classifierActivation.hfName());
        o.put("use_cache", useCache);
        o.put("local_attention", localAttention);
        o.put("global_attn_every_n_layers", globalAttnEveryNLayers);
        o.put("local_rope_theta", localRopeTheta);
        if (layerTypesExplicit) {
            o.putPOJO("layer_types", layerTypes.stream().map(AttentionType::hfName).toList());
        }
        o.put("tie_word_embeddings", tieWordEmbeddings);
        Map<String, String> i2l = new LinkedHashMap<>();
        id2label.forEach((k, v) -> i2l.put(String.valueOf(k), v));
        o.putPOJO("id2label", i2l);
        o.putPOJO("label2id", label2id);
        if (problemType != null) {
            o.put("problem_type", problemType.hfName());
        }
        if (torchDtype != null) {
            o.put("torch_dtype", torchDtype);
        }
        extra.forEach(o::set);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- derived values ----

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Keys a sliding layer sees: position q attends to k with {@code q - w < k <= q}. */
    public int slidingWindow() {
        return localAttention / 2;
    }

    public AttentionType layerType(int layer) {
        return layerTypes.get(layer);
    }

    public double ropeTheta(int layer) {
        return layerType(layer) == AttentionType.FULL_ATTENTION ? globalRopeTheta : localRopeTheta;
    }

    /** Which rule produced {@link #layerTypes()}: the explicit list or {@code i % n == 0}. */
    public boolean layerTypesExplicit() {
        return layerTypesExplicit;
    }

    /** The problem type as transformers infers it when unset: regression for one label, else single-label. */
    public ProblemType effectiveProblemType() {
        if (problemType != null) {
            return problemType;
        }
        return numLabels == 1 ? ProblemType.REGRESSION : ProblemType.SINGLE_LABEL_CLASSIFICATION;
    }

    // ---- accessors (named after the config.json fields) ----

    public int vocabSize() { return vocabSize; }
    public int hiddenSize() { return hiddenSize; }
    public int intermediateSize() { return intermediateSize; }
    public int numHiddenLayers() { return numHiddenLayers; }
    public int numAttentionHeads() { return numAttentionHeads; }
    public Activation hiddenActivation() { return hiddenActivation; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    public double initializerRange() { return initializerRange; }
    public double initializerCutoffFactor() { return initializerCutoffFactor; }
    public double normEps() { return normEps; }
    public boolean normBias() { return normBias; }
    public Integer padTokenId() { return padTokenId; }
    /** The first {@code eos_token_id} (config.json may list several), or null. */
    public Integer eosTokenId() { return eosTokenId; }
    /** Every {@code eos_token_id} of config.json, in order; empty when it is null or []. */
    public List<Integer> eosTokenIds() { return eosTokenIds; }
    public Integer bosTokenId() { return bosTokenId; }
    public Integer clsTokenId() { return clsTokenId; }
    public Integer sepTokenId() { return sepTokenId; }
    public double globalRopeTheta() { return globalRopeTheta; }
    public boolean attentionBias() { return attentionBias; }
    public double attentionDropout() { return attentionDropout; }
    public double embeddingDropout() { return embeddingDropout; }
    public boolean mlpBias() { return mlpBias; }
    public double mlpDropout() { return mlpDropout; }
    public boolean decoderBias() { return decoderBias; }
    public double classifierDropout() { return classifierDropout; }
    public boolean classifierBias() { return classifierBias; }
    public Activation classifierActivation() { return classifierActivation; }
    public boolean useCache() { return useCache; }
    public int localAttention() { return localAttention; }
    public int globalAttnEveryNLayers() { return globalAttnEveryNLayers; }
    public double localRopeTheta() { return localRopeTheta; }
    public List<AttentionType> layerTypes() { return layerTypes; }
    public List<String> architectures() { return architectures; }
    public boolean tieWordEmbeddings() { return tieWordEmbeddings; }
    public Map<Integer, String> id2label() { return id2label; }
    public Map<String, Integer> label2id() { return label2id; }
    public int numLabels() { return numLabels; }
    /** The explicit {@code problem_type}, or null; see {@link #effectiveProblemType()}. */
    public ProblemType problemType() { return problemType; }
    public String torchDtype() { return torchDtype; }
    /** Keys of config.json this class does not model, kept as they were. */
    public Map<String, JsonNode> extra() { return extra; }

    @Override
    public String toString() {
        return "ModernBertDecoderConfig{vocab=" + vocabSize + ", hidden=" + hiddenSize + ", layers=" + numHiddenLayers
                + ", heads=" + numAttentionHeads + ", intermediate=" + intermediateSize + ", layerTypes=" + layerTypes + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from the transformers defaults; {@link #build()} validates. */
    public static final class Builder {
        private static final Set<String> IGNORED = Set.of("model_type", "transformers_version", "sliding_window");

        private int vocabSize = 50368;
        private int hiddenSize = 768;
        private int intermediateSize = 1152;
        private int numHiddenLayers = 22;
        private int numAttentionHeads = 12;
        private Activation hiddenActivation = Activation.GELU;
        private int maxPositionEmbeddings = 8192;
        private double initializerRange = 0.02;
        private double initializerCutoffFactor = 2.0;
        private double normEps = 1e-5;
        private boolean normBias = false;
        private Integer padTokenId = 50283;
        private Integer eosTokenId = 50282;
        private Integer bosTokenId = 50281;
        private Integer clsTokenId = 50281;
        private Integer sepTokenId = 50282;
        private double globalRopeTheta = 160000.0;
        private boolean attentionBias = false;
        private double attentionDropout = 0.0;
        private double embeddingDropout = 0.0;
        private boolean mlpBias = false;
        private double mlpDropout = 0.0;
        private boolean decoderBias = true;
        private double classifierDropout = 0.0;
        private boolean classifierBias = false;
        private Activation classifierActivation = Activation.GELU;
        private boolean useCache = true;
        private int localAttention = 128;
        private int globalAttnEveryNLayers = 3;
        private Double localRopeTheta = 160000.0;
        private List<Integer> eosTokenIds;
        /** Thetas from rope_scaling / rope_parameters (newer transformers save these), winning over the flat keys. */
        private Double ropeFullTheta;
        private Double ropeSlidingTheta;
        private List<AttentionType> layerTypes;
        private List<String> architectures = List.of("ModernBertDecoderForCausalLM");
        private boolean tieWordEmbeddings = true;
        private Map<Integer, String> id2label;
        private Map<String, Integer> label2id;
        private Integer numLabels;
        private ProblemType problemType;
        private String torchDtype;
        private final Map<String, JsonNode> extra = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder numHiddenLayers(int v) { numHiddenLayers = v; return this; }
        public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }
        public Builder hiddenActivation(Activation v) { hiddenActivation = Objects.requireNonNull(v); return this; }
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
        public Builder normEps(double v) { normEps = v; return this; }
        public Builder normBias(boolean v) { normBias = v; return this; }
        public Builder padTokenId(Integer v) { padTokenId = v; return this; }
        public Builder eosTokenId(Integer v) { eosTokenId = v; eosTokenIds = null; return this; }
        public Builder bosTokenId(Integer v) { bosTokenId = v; return this; }
        public Builder clsTokenId(Integer v) { clsTokenId = v; return this; }
        public Builder sepTokenId(Integer v) { sepTokenId = v; return this; }
        public Builder globalRopeTheta(double v) { globalRopeTheta = v; return this; }
        public Builder localRopeTheta(double v) { localRopeTheta = v; return this; }
        public Builder attentionBias(boolean v) { attentionBias = v; return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        public Builder decoderBias(boolean v) { decoderBias = v; return this; }
        public Builder classifierBias(boolean v) { classifierBias = v; return this; }
        public Builder classifierActivation(Activation v) { classifierActivation = Objects.requireNonNull(v); return this; }
        public Builder localAttention(int v) { localAttention = v; return this; }
        public Builder globalAttnEveryNLayers(int v) { globalAttnEveryNLayers = v; return this; }
        public Builder layerTypes(List<AttentionType> v) { layerTypes = v == null ? null : List.copyOf(v); return this; }
        public Builder architectures(List<String> v) { architectures = List.copyOf(v); return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        public Builder id2label(Map<Integer, String> v) { id2label = v == null ? null : new LinkedHashMap<>(v); return this; }
        public Builder numLabels(Integer v) { numLabels = v; return this; }
        public Builder problemType(ProblemType v) { problemType = v; return this; }

        public ModernBertDecoderConfig build() {
            return new ModernBertDecoderConfig(this);
        }

        /** Sets one config.json key; unknown keys are kept, wrong types name the field. */
        Builder set(String key, JsonNode v) {
            switch (key) {
                case "vocab_size" -> vocabSize = intField(key, v);
                case "hidden_size" -> hiddenSize = intField(key, v);
                case "intermediate_size" -> intermediateSize = intField(key, v);
                case "num_hidden_layers" -> numHiddenLayers = intField(key, v);
                case "num_attention_heads" -> numAttentionHeads = intField(key, v);
                case "hidden_activation" -> hiddenActivation = activationField(key, v);
                case "max_position_embeddings" -> maxPositionEmbeddings = intField(key, v);
                case "initializer_range" -> initializerRange = doubleField(key, v);
                case "initializer_cutoff_factor" -> initializerCutoffFactor = doubleField(key, v);
                case "norm_eps" -> normEps = doubleField(key, v);
                case "norm_bias" -> normBias = boolField(key, v);
                case "pad_token_id" -> padTokenId = tokenIdField(key, v);
                case "eos_token_id" -> {
                    eosTokenIds = tokenIdsField(key, v);
                    eosTokenId = eosTokenIds.isEmpty() ? null : eosTokenIds.getFirst();
                }
                case "bos_token_id" -> bosTokenId = tokenIdField(key, v);
                case "cls_token_id" -> clsTokenId = tokenIdField(key, v);
                case "sep_token_id" -> sepTokenId = tokenIdField(key, v);
                case "global_rope_theta" -> globalRopeTheta = doubleField(key, v);
                case "attention_bias" -> attentionBias = boolField(key, v);
                case "attention_dropout" -> attentionDropout = doubleField(key, v);
                case "embedding_dropout" -> embeddingDropout = doubleField(key, v);
                case "mlp_bias" -> mlpBias = boolField(key, v);
                case "mlp_dropout" -> mlpDropout = doubleField(key, v);
                case "decoder_bias" -> decoderBias = boolField(key, v);
                case "classifier_dropout" -> classifierDropout = v.isNull() ? 0.0 : doubleField(key, v);
                case "classifier_bias" -> classifierBias = boolField(key, v);
                case "classifier_activation" -> classifierActivation = activationField(key, v);
                case "use_cache" -> useCache = boolField(key, v);
                case "local_attention" -> localAttention = intField(key, v);
                case "global_attn_every_n_layers" -> globalAttnEveryNLayers = intField(key, v);
                case "local_rope_theta" -> localRopeTheta = v.isNull() ? null : doubleField(key, v);
                case "layer_types" -> layerTypes = layerTypesField(key, v);
                case "architectures" -> architectures = stringListField(key, v);
                case "tie_word_embeddings" -> tieWordEmbeddings = boolField(key, v);
                case "id2label" -> id2label = id2labelField(key, v);
                case "label2id" -> label2id = label2idField(key, v);
                case "num_labels" -> numLabels = intField(key, v);
                case "problem_type" -> problemType = problemTypeField(key, v);
                case "torch_dtype", "dtype" -> torchDtype = v.isNull() ? null : v.asText();
                case "rope_scaling", "rope_parameters" -> {
                    ropeField(key, v);
                    extra.put(key, v);
                }
                default -> {
                    if (!IGNORED.contains(key)) {
                        extra.put(key, v);
                    }
                }
            }
            return this;
        }

        private static int intField(String key, JsonNode v) {
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new ConfigException("field " + key + " must be an integer, got " + v);
            }
            return v.intValue();
        }

        /**
         * A special-token id: an integer, null, or a list (some checkpoints list several; the first is
         * kept, [] reads as null). Any integer loads, as in transformers: whether it is in the
         * vocabulary is checked where the id is used (see the class comment).
         */
        private static Integer tokenIdField(String key, JsonNode v) {
            List<Integer> ids = tokenIdsField(key, v);
            return ids.isEmpty() ? null : ids.getFirst();
        }

        private static List<Integer> tokenIdsField(String key, JsonNode v) {
            if (v.isNull()) {
                return List.of();
            }
            if (v.isArray()) {
                List<Integer> out = new ArrayList<>(v.size());
                for (int i = 0; i < v.size(); i++) {
                    out.add(intField(key + "[" + i + "]", v.get(i)));
                }
                return out;
            }
            return List.of(intField(key, v));
        }

        /**
         * transformers' per-layer-type RoPE parameters: {@code {"full_attention": {...},
         * "sliding_attention": {...}}}, or one flat dict that applies to full attention (as
         * transformers' config reads it). Only the default rotary embedding is implemented here: any
         * other {@code rope_type} (linear, dynamic, yarn, ...) is refused rather than silently ignored.
         */
        private void ropeField(String key, JsonNode v) {
            if (v.isNull()) {
                return;
            }
            if (!v.isObject()) {
                throw new ConfigException("field " + key + " must be an object, got " + v);
            }
            if (v.has("full_attention") || v.has("sliding_attention")) {
                ropeFullTheta = ropeTheta(key + ".full_attention", v.get("full_attention"), ropeFullTheta);
                ropeSlidingTheta = ropeTheta(key + ".sliding_attention", v.get("sliding_attention"), ropeSlidingTheta);
            } else {
                ropeFullTheta = ropeTheta(key, v, ropeFullTheta);
            }
        }

        private static Double ropeTheta(String key, JsonNode v, Double previous) {
            if (v == null || v.isNull()) {
                return previous;
            }
            if (!v.isObject()) {
                throw new ConfigException("field " + key + " must be an object, got " + v);
            }
            JsonNode type = v.has("rope_type") ? v.get("rope_type") : v.get("type");
            if (type != null && !type.isNull() && !"default".equals(type.asText())) {
                throw new ConfigException("field " + key + " has rope_type " + type + ": this SDK implements only the default"
                        + " rotary embedding (rope_type \"default\"), so it cannot run this checkpoint faithfully");
            }
            JsonNode theta = v.get("rope_theta");
            return theta == null || theta.isNull() ? previous : doubleField(key + ".rope_theta", theta);
        }

        private static double doubleField(String key, JsonNode v) {
            if (!v.isNumber()) {
                throw new ConfigException("field " + key + " must be a number, got " + v);
            }
            return v.doubleValue();
        }

        /**
         * true/false; an integer or null reads as Python's truth value does in transformers (0 and null
         * false, other integers true). A string is refused: Python would read "false" as true.
         */
        private static boolean boolField(String key, JsonNode v) {
            if (v.isBoolean()) {
                return v.booleanValue();
            }
            if (v.isNull()) {
                return false;
            }
            if (v.isIntegralNumber()) {
                return v.bigIntegerValue().signum() != 0;
            }
            throw new ConfigException("field " + key + " must be true or false (or 0/1), got " + v);
        }

        private static Activation activationField(String key, JsonNode v) {
            Activation a = v.isTextual() ? Activation.fromHfName(v.asText()) : null;
            if (a == null) {
                throw new ConfigException("field " + key + " has unsupported activation " + v
                        + ": expected one of gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, quick_gelu, silu, swish, relu");
            }
            return a;
        }

        private static List<AttentionType> layerTypesField(String key, JsonNode v) {
            if (v.isNull()) {
                return null;
            }
            if (!v.isArray()) {
                throw new ConfigException("field " + key + " must be a list, got " + v);
            }
            List<AttentionType> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                AttentionType t = v.get(i).isTextual() ? AttentionType.fromHfName(v.get(i).asText()) : null;
                if (t == null) {
                    throw new ConfigException("field " + key + "[" + i + "] is " + v.get(i)
                            + ": expected \"full_attention\" or \"sliding_attention\"");
                }
                out.add(t);
            }
            return out;
        }

        private static List<String> stringListField(String key, JsonNode v) {
            if (v.isNull()) {
                return List.of();
            }
            if (!v.isArray()) {
                throw new ConfigException("field " + key + " must be a list of strings, got " + v);
            }
            List<String> out = new ArrayList<>();
            v.forEach(n -> out.add(n.asText()));
            return out;
        }

        private static Map<Integer, String> id2labelField(String key, JsonNode v) {
            if (v.isNull()) {
                return null;
            }
            if (!v.isObject()) {
                throw new ConfigException("field " + key + " must be an object of id -> label, got " + v);
            }
            Map<Integer, String> out = new java.util.TreeMap<>();
            v.fields().forEachRemaining(e -> {
                try {
                    out.put(Integer.parseInt(e.getKey()), e.getValue().asText());
                } catch (NumberFormatException ex) {
                    throw new ConfigException("field " + key + " has key \"" + e.getKey() + "\": expected an integer id");
                }
            });
            return out;
        }

        private static Map<String, Integer> label2idField(String key, JsonNode v) {
            if (v.isNull()) {
                return null;
            }
            if (!v.isObject()) {
                throw new ConfigException("field " + key + " must be an object of label -> id, got " + v);
            }
            Map<String, Integer> out = new LinkedHashMap<>();
            v.fields().forEachRemaining(e -> out.put(e.getKey(), intField(key + "." + e.getKey(), e.getValue())));
            return out;
        }

        private static ProblemType problemTypeField(String key, JsonNode v) {
            if (v.isNull()) {
                return null;
            }
            ProblemType p = v.isTextual() ? ProblemType.fromHfName(v.asText()) : null;
            if (p == null) {
                throw new ConfigException("field " + key + " is " + v
                        + ": expected regression, single_label_classification or multi_label_classification");
            }
            return p;
        }
    }
}
