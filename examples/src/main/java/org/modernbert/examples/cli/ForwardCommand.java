package org.modernbert.examples.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.cache.DynamicCache;
import org.modernbert.api.model.AttentionWeights;
import org.modernbert.api.model.BaseModelOutput;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.ClassifierOutput;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.core.ModernBert;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code modernbert forward}: transformers' {@code forward(**kwargs)} from a JSON file, outputs nested
 * as transformers' tensors, so any backend can be diffed against the reference.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Run a batch through a model and write its outputs as JSON, named and nested as transformers' forward().",
                "IN: {\"input_ids\": [[...], ...]} (ragged rows, or rectangular with \"attention_mask\") or \"inputs_embeds\": [row][pos][hidden];",
                "    optional \"attention_mask\", \"position_ids\", \"labels\" (causal LM), \"output_hidden_states\": true,",
                "    \"output_attentions\": true, and \"past_key_values\": {\"input_ids\": [[...]]} (the tokens a cache was built from:",
                "    they run first with use_cache, then the input continues them).",
                "OUT (causal LM): {\"logits\": [row][pos][vocab], \"last_hidden_state\": [row][pos][hidden], \"loss\"?, \"loss_per_sequence\"?,",
                "    \"hidden_states\"?: [layer][row][pos][hidden], \"attentions\"?: [layer][row][head][query][key]}; pad positions hold 0.",
                "OUT (classifier): {\"logits\": [row][label]} pooled at the last real token of each row."})
final class ForwardCommand implements Callable<Integer> {
    private static final Set<String> FIELDS = Set.of("input_ids", "inputs_embeds", "attention_mask", "position_ids", "labels",
            "past_key_values", "use_cache", "output_hidden_states", "output_attentions");
    /** What builds a cache: its outputs are not written, so nothing else is taken. */
    private static final Set<String> PAST_FIELDS = Set.of("input_ids", "inputs_embeds", "attention_mask", "position_ids");

    @Option(names = "--model", required = true, description = "Model folder (config.json, model.safetensors, ...).")
    Path model;

    @Option(names = "--input", required = true, description = "Input JSON file (one object; a key given twice or anything after it is an error); - for standard input.")
    Path input;

    @Option(names = "--output", required = true, description = "Output JSON file (replaced atomically, keeping its permissions; a link is followed and its target replaced; a device or FIFO is written in place); - for standard output.")
    Path output;

    @Mixin
    BackendChoice backend;

    @Override
    public Integer call() throws IOException {
        JsonNode in = readInput();
        ForwardRequest request = request(in, "");
        ForwardRequest past = in.hasNonNull("past_key_values") ? request(in.get("past_key_values"), "past_key_values.") : null;
        OutputTarget target = JsonFiles.checkWritable(output);
        try (DecoderModel m = ModernBert.load(model, backend.backend, backend.options())) {
            if (m instanceof CausalLanguageModel lm) {
                CausalLmOutput out;
                if (past != null) {
                    try (DynamicCache cache = lm.forward(past.withUseCache(true)).pastKeyValues()) {
                        out = lm.forward(request.withPastKeyValues(cache));
                    }
                } else {
                    out = lm.forward(request);
                    if (out.pastKeyValues() != null) {
                        out.pastKeyValues().close(); // use_cache: a file cannot hold the cache
                    }
                }
                JsonFiles.writeJsonObject(target, g -> {
                    writeMatrices(g, "logits", out.logits());
                    writeMatrices(g, "last_hidden_state", out.lastHiddenState());
                    if (out.loss() != null) {
                        g.writeNumberField("loss", out.loss());
                        g.writeArrayFieldStart("loss_per_sequence");
                        for (double l : out.lossPerRow()) {
                            if (Double.isNaN(l)) {
                                g.writeNull();
                            } else {
                                g.writeNumber(l);
                            }
                        }
                        g.writeEndArray();
                    }
                    writeLayerOutputs(g, out.hiddenStates(), out.attentions());
                });
            } else if (m instanceof SequenceClassifier cls) {
                refuse(request.labels() != null, "\"labels\" is only supported for causal LM models");
                refuse(past != null, "\"past_key_values\" is only supported for causal LM models");
                refuse(request.outputHiddenStates() || request.outputAttentions(),
                        "output_hidden_states / output_attentions are supported for causal LM and base models");
                ClassifierOutput out = cls.classify(request);
                JsonFiles.writeJsonObject(target, g -> {
                    g.writeFieldName("logits");
                    writeMatrix(g, out.logits());
                });
            } else {
                refuse(request.labels() != null, "\"labels\" needs a head: this is a base model");
                BaseModelOutput out;
                if (past != null) {
                    try (DynamicCache cache = m.forwardHidden(past.withUseCache(true)).pastKeyValues()) {
                        out = m.forwardHidden(request.withPastKeyValues(cache));
                    }
                } else {
                    out = m.forwardHidden(request);
                    if (out.pastKeyValues() != null) {
                        out.pastKeyValues().close();
                    }
                }
                JsonFiles.writeJsonObject(target, g -> {
                    writeMatrices(g, "last_hidden_state", out.lastHiddenState());
                    writeLayerOutputs(g, out.hiddenStates(), out.attentions());
                });
            }
        }
        return 0;
    }

    private void refuse(boolean condition, String message) {
        if (condition) {
            throw new ModernBertException(input + ": " + message);
        }
    }

    private JsonNode readInput() throws IOException {
        JsonFiles.checkReadable(input);
        JsonNode in = JsonFiles.parse(input, JsonFiles.readText(input), 0);
        if (in == null || !in.isObject() || !(in.has("input_ids") || in.has("inputs_embeds"))) {
            throw new ModernBertException(input + ": expected a JSON object {\"input_ids\": [[...], ...]} or {\"inputs_embeds\": [[[...]]]}");
        }
        return in;
    }

    /** The forward kwargs of one JSON object ({@code prefix} names it in errors). */
    private ForwardRequest request(JsonNode in, String prefix) {
        if (!in.isObject()) {
            throw new ModernBertException(input + ": \"" + prefix.replace(".", "") + "\" must be an object like {\"input_ids\": [[...]]}");
        }
        Set<String> allowed = prefix.isEmpty() ? FIELDS : PAST_FIELDS;
        in.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) {
                throw new ModernBertException(input + ": " + (FIELDS.contains(f) ? "" : "unknown ") + "field \"" + prefix + f
                        + "\" is not taken here; expected some of " + allowed);
            }
        });
        if (in.has("input_ids") == in.has("inputs_embeds")) {
            throw new ModernBertException(input + ": give exactly one of \"" + prefix + "input_ids\" and \"" + prefix + "inputs_embeds\"");
        }
        ForwardRequest r = in.has("input_ids") ? ForwardRequest.ids(intRows(in.get("input_ids"), prefix + "input_ids"))
                : ForwardRequest.embeds(embeddings(in.get("inputs_embeds"), prefix + "inputs_embeds"));
        if (in.hasNonNull("attention_mask")) {
            r = r.withAttentionMask(intRows(in.get("attention_mask"), prefix + "attention_mask"));
        }
        if (in.hasNonNull("position_ids")) {
            r = r.withPositionIds(intRows(in.get("position_ids"), prefix + "position_ids"));
        }
        if (in.hasNonNull("labels")) {
            r = r.withLabels(intRows(in.get("labels"), prefix + "labels"));
        }
        return r.withUseCache(bool(in, "use_cache", prefix))
                .withOutputHiddenStates(bool(in, "output_hidden_states", prefix))
                .withOutputAttentions(bool(in, "output_attentions", prefix));
    }

    private boolean bool(JsonNode in, String field, String prefix) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new ModernBertException(input + ": \"" + prefix + field + "\" is " + v + ", expected true or false");
        }
        return v.booleanValue();
    }

    private List<int[]> intRows(JsonNode rows, String field) {
        if (!rows.isArray() || rows.isEmpty()) {
            throw new ModernBertException(input + ": \"" + field + "\" must be a non-empty list of rows of integers");
        }
        List<int[]> out = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            JsonNode row = rows.get(r);
            if (!row.isArray()) {
                throw new ModernBertException(input + ": \"" + field + "\"[" + r + "] must be a list of integers");
            }
            int[] ids = new int[row.size()];
            for (int t = 0; t < ids.length; t++) {
                JsonNode v = row.get(t);
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw new ModernBertException(input + ": \"" + field + "\"[" + r + "][" + t + "] is " + v + ", expected an integer");
                }
                ids[t] = v.intValue();
            }
            out.add(ids);
        }
        return out;
    }

    private List<FloatMatrix> embeddings(JsonNode rows, String field) {
        if (!rows.isArray() || rows.isEmpty()) {
            throw new ModernBertException(input + ": \"" + field + "\" must be a non-empty list of rows of vectors");
        }
        List<FloatMatrix> out = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            JsonNode row = rows.get(r);
            if (!row.isArray() || row.isEmpty() || !row.get(0).isArray()) {
                throw new ModernBertException(input + ": \"" + field + "\"[" + r + "] must be a non-empty list of vectors");
            }
            int width = row.get(0).size();
            float[] data = new float[row.size() * width];
            for (int t = 0; t < row.size(); t++) {
                JsonNode vec = row.get(t);
                if (!vec.isArray() || vec.size() != width) {
                    throw new ModernBertException(input + ": \"" + field + "\"[" + r + "][" + t + "] must be a vector of " + width
                            + " numbers like the row's first");
                }
                for (int i = 0; i < width; i++) {
                    JsonNode v = vec.get(i);
                    if (!v.isNumber()) {
                        throw new ModernBertException(input + ": \"" + field + "\"[" + r + "][" + t + "][" + i + "] is " + v
                                + ", expected a number");
                    }
                    data[t * width + i] = v.floatValue();
                }
            }
            out.add(new FloatMatrix(row.size(), width, data));
        }
        return out;
    }

    private static void writeLayerOutputs(JsonGenerator g, List<List<FloatMatrix>> hiddenStates,
                                          List<List<AttentionWeights>> attentions) throws IOException {
        if (hiddenStates != null) {
            g.writeArrayFieldStart("hidden_states");
            for (List<FloatMatrix> layer : hiddenStates) {
                g.writeStartArray();
                for (FloatMatrix m : layer) {
                    writeMatrix(g, m);
                }
                g.writeEndArray();
            }
            g.writeEndArray();
        }
        if (attentions != null) {
            g.writeArrayFieldStart("attentions");
            for (List<AttentionWeights> layer : attentions) {
                g.writeStartArray();
                for (AttentionWeights a : layer) {
                    g.writeStartArray();
                    for (int h = 0; h < a.heads(); h++) {
                        g.writeStartArray();
                        for (int q = 0; q < a.queries(); q++) {
                            g.writeStartArray();
                            for (int k = 0; k < a.keys(); k++) {
                                g.writeNumber(a.get(h, q, k));
                            }
                            g.writeEndArray();
                        }
                        g.writeEndArray();
                    }
                    g.writeEndArray();
                }
                g.writeEndArray();
            }
            g.writeEndArray();
        }
    }

    private static void writeMatrices(JsonGenerator g, String field, List<FloatMatrix> perRow) throws IOException {
        g.writeArrayFieldStart(field);
        for (FloatMatrix m : perRow) {
            writeMatrix(g, m);
        }
        g.writeEndArray();
    }

    private static void writeMatrix(JsonGenerator g, FloatMatrix m) throws IOException {
        g.writeStartArray();
        for (int r = 0; r < m.rows(); r++) {
            g.writeStartArray();
            for (int c = 0; c < m.cols(); c++) {
                g.writeNumber(m.get(r, c));
            }
            g.writeEndArray();
        }
        g.writeEndArray();
    }
}
