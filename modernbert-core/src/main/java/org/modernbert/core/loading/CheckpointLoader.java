package org.modernbert.core.loading;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.safetensors.SafetensorsCheckpoint;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads a Hugging Face ModernBERT-decoder folder ({@code config.json} + safetensors) and maps the HF
 * tensor names onto {@link ModelWeights}, checking every tensor against the config: shapes, optional
 * biases present exactly when the config says so ({@code norm_bias}, {@code attention_bias},
 * {@code mlp_bias}, {@code classifier_bias}, {@code decoder_bias}), no {@code attn_norm} on layer 0,
 * {@code decoder.weight} absent meaning tied to the token embedding. All missing, unexpected and
 * misshaped tensors are reported together in one {@link CheckpointException}.
 */
public final class CheckpointLoader {
    private static final Logger LOG = LogManager.getLogger(CheckpointLoader.class);

    public static final String CONFIG_FILE = "config.json";
    /** The architectures this SDK runs, with the head each one needs (null: bare base model). */
    private static final Map<String, HeadKind> ARCHITECTURES = new LinkedHashMap<>();

    static {
        ARCHITECTURES.put("ModernBertDecoderForCausalLM", HeadKind.LANGUAGE_MODEL);
        ARCHITECTURES.put("ModernBertDecoderForSequenceClassification", HeadKind.CLASSIFIER);
        ARCHITECTURES.put("ModernBertDecoderModel", null);
    }

    /** Prefixes of head tensors that a bare base model load tolerates and ignores, as transformers does. */
    private static final List<String> HEAD_PREFIXES = List.of("lm_head.", "decoder.", "head.", "classifier.");
    private static final int MAX_SHAPE_ERRORS = 8;

    private CheckpointLoader() {
    }

    /** Loads {@code folder} with the head its config.json {@code architectures} names. */
    public static LoadedCheckpoint load(Path folder) {
        ModernBertDecoderConfig config = readConfig(folder);
        return load(folder, config, headFor(config));
    }

    /**
     * Loads {@code folder} for the given head: {@link HeadKind#LANGUAGE_MODEL}, {@link HeadKind#CLASSIFIER}
     * or null for the bare base model (head tensors in the file are then ignored).
     */
    public static LoadedCheckpoint load(Path folder, HeadKind head) {
        return load(folder, readConfig(folder), head);
    }

    /**
     * Loads {@code folder} for a backend: the head from {@code architectures} when {@code auto}, else
     * {@code head}; matrices converted by {@link WeightConversion} to formats in {@code executable}
     * (quantized to {@code quantize} when not null).
     */
    public static LoadedCheckpoint load(Path folder, boolean auto, HeadKind head, String backend,
                                        Set<WeightFormat> executable, WeightFormat quantize) {
        ModernBertDecoderConfig config = readConfig(folder);
        return load(folder, config, auto ? headFor(config) : head, new Conversion(backend, executable, quantize));
    }

    private record Conversion(String backend, Set<WeightFormat> executable, WeightFormat quantize) {
    }

    private static LoadedCheckpoint load(Path folder, ModernBertDecoderConfig config, HeadKind head) {
        return load(folder, config, head, null);
    }

    private static LoadedCheckpoint load(Path folder, ModernBertDecoderConfig config, HeadKind head, Conversion conversion) {
        Arena arena = Arena.ofShared();
        try {
            SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(folder, arena);
            ModelWeights weights = mapWeights(config, checkpoint.tensors(), head, checkpoint.source().toString());
            if (conversion != null) {
                weights = WeightConversion.convert(weights, conversion.backend(), conversion.executable(), conversion.quantize(), arena);
            }
            LOG.debug("loaded {} ({} tensors, head {}) from {}", config, checkpoint.tensors().size(),
                    head == null ? "none" : head, checkpoint.source());
            return new LoadedCheckpoint(folder, checkpoint.source(), config, weights, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Reads and validates {@code folder/config.json}. */
    public static ModernBertDecoderConfig readConfig(Path folder) {
        Path configJson = folder.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configJson)) {
            throw new ModernBertException("model folder " + folder + " has no " + CONFIG_FILE
                    + ": a Hugging Face model folder needs config.json next to its safetensors weights");
        }
        return ModernBertDecoderConfig.fromJsonFile(configJson);
    }

    /**
     * The head that the config's {@code architectures} asks for: LANGUAGE_MODEL for
     * ModernBertDecoderForCausalLM, CLASSIFIER for ModernBertDecoderForSequenceClassification, null for
     * ModernBertDecoderModel. The first supported entry wins; none supported is an error.
     */
    public static HeadKind headFor(ModernBertDecoderConfig config) {
        for (String a : config.architectures()) {
            if (ARCHITECTURES.containsKey(a)) {
                return ARCHITECTURES.get(a);
            }
        }
        String hint = config.architectures().stream().anyMatch(a -> a.startsWith("ModernBert") && !a.startsWith("ModernBertDecoder"))
                ? " (this looks like the ModernBERT encoder, which is a different model)" : "";
        throw new CheckpointException("config.json architectures " + config.architectures() + " names no supported model"
                + hint + ": supported are " + String.join(", ", ARCHITECTURES.keySet()));
    }

    /**
     * Maps HF tensor names onto {@link ModelWeights} for {@code head} and checks them against
     * {@code config}. {@code source} names the checkpoint in error messages. Names may carry the
     * {@code model.} prefix of the task models or lack it (a base model saved on its own).
     */
    public static ModelWeights mapWeights(ModernBertDecoderConfig config, Map<String, Tensor> tensors, HeadKind head, String source) {
        Binder b = new Binder(tensors);
        String p = tensors.containsKey("model.embeddings.tok_embeddings.weight")
                || !tensors.containsKey("embeddings.tok_embeddings.weight") ? "model." : "";
        long h = config.hiddenSize();
        long v = config.vocabSize();
        long i2 = 2L * config.intermediateSize();
        long im = config.intermediateSize();
        boolean nb = config.normBias();
        String hs = "hidden_size " + h;
        String normBias = "norm_bias is " + nb;

        Tensor tok = b.required(p + "embeddings.tok_embeddings.weight", "vocab_size " + v + ", " + hs, v, h);
        Tensor embNorm = b.required(p + "embeddings.norm.weight", hs, h);
        Tensor embNormBias = b.optional(nb, p + "embeddings.norm.bias", normBias, hs, h);

        List<LayerWeights> layers = new ArrayList<>();
        boolean ab = config.attentionBias();
        boolean mb = config.mlpBias();
        String attnBias = "attention_bias is " + ab;
        String mlpBias = "mlp_bias is " + mb;
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String l = p + "layers." + i + ".";
            boolean hasAttnNorm = i > 0;
            Tensor attnNorm = b.optional(hasAttnNorm, l + "attn_norm.weight", "layer 0 has no attn_norm", hs, h);
            Tensor attnNormBias = b.optional(hasAttnNorm && nb, l + "attn_norm.bias",
                    hasAttnNorm ? normBias : "layer 0 has no attn_norm", hs, h);
            Tensor wq = b.required(l + "attn.q_proj.weight", hs, h, h);
            Tensor bq = b.optional(ab, l + "attn.q_proj.bias", attnBias, hs, h);
            Tensor wk = b.required(l + "attn.k_proj.weight", hs, h, h);
            Tensor bk = b.optional(ab, l + "attn.k_proj.bias", attnBias, hs, h);
            Tensor wv = b.required(l + "attn.v_proj.weight", hs, h, h);
            Tensor bv = b.optional(ab, l + "attn.v_proj.bias", attnBias, hs, h);
            Tensor wo = b.required(l + "attn.Wo.weight", hs, h, h);
            Tensor bo = b.optional(ab, l + "attn.Wo.bias", attnBias, hs, h);
            Tensor mlpNorm = b.required(l + "mlp_norm.weight", hs, h);
            Tensor mlpNormBias = b.optional(nb, l + "mlp_norm.bias", normBias, hs, h);
            String wiWhy = "2 x intermediate_size " + im + " = " + i2 + ", " + hs;
            Tensor wi = b.required(l + "mlp.Wi.weight", wiWhy, i2, h);
            Tensor bi = b.optional(mb, l + "mlp.Wi.bias", mlpBias, wiWhy, i2);
            String woWhy = hs + ", intermediate_size " + im;
            Tensor wMlpOut = b.required(l + "mlp.Wo.weight", woWhy, h, im);
            Tensor bMlpOut = b.optional(mb, l + "mlp.Wo.bias", mlpBias, hs, h);
            layers.add(new LayerWeights(i, config.layerType(i), config.ropeTheta(i), attnNorm, attnNormBias,
                    wq, bq, wk, bk, wv, bv, wo, bo, mlpNorm, mlpNormBias, wi, bi, wMlpOut, bMlpOut));
        }
        Tensor finalNorm = b.required(p + "final_norm.weight", hs, h);
        Tensor finalNormBias = b.optional(nb, p + "final_norm.bias", normBias, hs, h);

        HeadWeights headWeights = null;
        if (head == null) {
            b.ignoreRemaining(HEAD_PREFIXES);
        } else {
            boolean cb = config.classifierBias();
            String clsBias = "classifier_bias is " + cb;
            String prefix = head == HeadKind.LANGUAGE_MODEL ? "lm_head." : "head.";
            // HF ModernBertDecoderPredictionHead: dense bias = classifier_bias, norm bias = norm_bias.
            Tensor dense = b.required(prefix + "dense.weight", hs, h, h);
            Tensor denseBias = b.optional(cb, prefix + "dense.bias", clsBias, hs, h);
            Tensor norm = b.required(prefix + "norm.weight", hs, h);
            Tensor normB = b.optional(nb, prefix + "norm.bias", normBias, hs, h);
            Tensor projection;
            Tensor projectionBias;
            int outputs;
            if (head == HeadKind.LANGUAGE_MODEL) {
                String decWhy = "vocab_size " + v + ", " + hs;
                if (config.tieWordEmbeddings()) {
                    projection = tok;
                    if (b.has("decoder.weight")) {
                        // transformers re-ties after loading, so the embedding wins over a stored copy.
                        b.ignore("decoder.weight");
                        LOG.debug("{}: decoder.weight present but tie_word_embeddings is true; using the token embedding", source);
                    }
                } else {
                    projection = b.required("decoder.weight", decWhy + " (tie_word_embeddings is false)", v, h);
                }
                boolean db = config.decoderBias();
                projectionBias = b.optional(db, "decoder.bias", "decoder_bias is " + db, "vocab_size " + v, v);
                outputs = config.vocabSize();
            } else {
                long n = config.numLabels();
                projection = b.required("classifier.weight", "num_labels " + n + ", " + hs, n, h);
                projectionBias = b.optional(cb, "classifier.bias", clsBias, "num_labels " + n, n);
                outputs = config.numLabels();
            }
            headWeights = new HeadWeights(head, config.classifierActivation(), dense, denseBias, norm, normB,
                    projection, projectionBias, outputs);
        }
        b.check(source, head);
        return new ModelWeights(config, tok, embNorm, embNormBias, layers, finalNorm, finalNormBias, headWeights);
    }

    /** Hands out tensors by name and remembers what was missing, misshaped or left over. */
    private static final class Binder {
        private final Map<String, Tensor> tensors;
        private final Set<String> used = new HashSet<>();
        private final List<String> missing = new ArrayList<>();
        private final List<String> wrongShape = new ArrayList<>();
        /** Unexpected tensors with the reason they are not expected, when one is known. */
        private final Map<String, String> unexpectedWhy = new LinkedHashMap<>();

        Binder(Map<String, Tensor> tensors) {
            this.tensors = tensors;
        }

        boolean has(String name) {
            return tensors.containsKey(name);
        }

        void ignore(String name) {
            used.add(name);
        }

        void ignoreRemaining(List<String> prefixes) {
            for (String name : tensors.keySet()) {
                if (prefixes.stream().anyMatch(name::startsWith)) {
                    used.add(name);
                }
            }
        }

        Tensor required(String name, String why, long... shape) {
            Tensor t = tensors.get(name);
            if (t == null) {
                missing.add(name);
                return null;
            }
            used.add(name);
            if (!Arrays.equals(t.shape(), shape)) {
                wrongShape.add("tensor " + name + " has shape " + Arrays.toString(t.shape()) + " but config.json (" + why
                        + ") implies " + Arrays.toString(shape));
            }
            return t;
        }

        /** A tensor that must be present when {@code expected} and absent otherwise. */
        Tensor optional(boolean expected, String name, String flag, String why, long... shape) {
            if (expected) {
                Tensor t = tensors.get(name);
                if (t == null) {
                    missing.add(name + " (" + flag + ")");
                    return null;
                }
                return required(name, why, shape);
            }
            if (tensors.containsKey(name)) {
                unexpectedWhy.put(name, flag);
            }
            return null;
        }

        void check(String source, HeadKind head) {
            Map<String, String> unexpected = new TreeMap<>();
            for (String name : tensors.keySet()) {
                if (!used.contains(name)) {
                    unexpected.put(name, unexpectedWhy.get(name));
                }
            }
            if (missing.isEmpty() && unexpected.isEmpty() && wrongShape.isEmpty()) {
                return;
            }
            List<String> parts = new ArrayList<>();
            if (!missing.isEmpty()) {
                parts.add(missing.size() + " missing tensor" + (missing.size() == 1 ? "" : "s") + ": " + String.join(", ", missing));
            }
            if (!unexpected.isEmpty()) {
                List<String> names = new ArrayList<>();
                unexpected.forEach((name, why) -> names.add(why == null ? name : name + " (" + why + ")"));
                parts.add(unexpected.size() + " unexpected tensor" + (unexpected.size() == 1 ? "" : "s") + ": " + String.join(", ", names));
            }
            // A config from another model size misfits every tensor: the first few say enough.
            int shown = Math.min(wrongShape.size(), MAX_SHAPE_ERRORS);
            parts.addAll(wrongShape.subList(0, shown));
            if (wrongShape.size() > shown) {
                parts.add("and " + (wrongShape.size() - shown) + " more tensors with shapes that disagree with config.json");
            }
            String model = head == null ? "the base model" : head == HeadKind.LANGUAGE_MODEL ? "a causal LM" : "a sequence classifier";
            throw new CheckpointException("checkpoint " + source + " does not fit config.json for " + model + ": "
                    + String.join("; ", parts));
        }
    }
}
