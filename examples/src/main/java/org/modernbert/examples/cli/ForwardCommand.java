package org.modernbert.examples.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.CausalLmOutput;
import org.modernbert.api.model.ClassifierOutput;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.core.ModernBert;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code modernbert forward}: runs a ragged batch of token ids and writes the outputs in the layout
 * of the fixtures' golden files, so any backend can be diffed against the reference.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Run input ids through a model and write logits / hidden states as JSON.",
                "IN: {\"input_ids\": [[...], ...]} (ragged rows; optional \"labels\" of the same shape for the causal-LM loss).",
                "OUT (causal LM): {\"logits\": [row][pos][vocab], \"last_hidden_state\": [row][pos][hidden], \"loss\"?, \"loss_per_sequence\"?}",
                "OUT (classifier): {\"logits\": [row][label]} pooled at the last token of each row."})
final class ForwardCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "Model folder (config.json, model.safetensors, ...).")
    Path model;

    @Option(names = "--input", required = true, description = "Input JSON file.")
    Path input;

    @Option(names = "--output", required = true, description = "Output JSON file (written atomically).")
    Path output;

    @Option(names = "--backend", description = "Backend name (default: -Dmodernbert.backend, MODERNBERT_BACKEND, else the best available).")
    String backend;

    @Override
    public Integer call() throws IOException {
        JsonNode in = readInput();
        TokenBatch batch = new TokenBatch(intRows(in.get("input_ids"), "input_ids"));
        List<int[]> labels = in.hasNonNull("labels") ? intRows(in.get("labels"), "labels") : null;
        JsonFiles.checkWritable(output);
        try (DecoderModel m = ModernBert.load(model, backend)) {
            if (m instanceof CausalLanguageModel lm) {
                CausalLmOutput out = lm.forward(batch, labels);
                JsonFiles.writeJsonObject(output, g -> {
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
                });
            } else if (m instanceof SequenceClassifier cls) {
                if (labels != null) {
                    throw new ModernBertException(input + ": \"labels\" is only supported for causal LM models");
                }
                ClassifierOutput out = cls.classify(batch);
                JsonFiles.writeJsonObject(output, g -> {
                    g.writeFieldName("logits");
                    writeMatrix(g, out.logits());
                });
            } else {
                List<FloatMatrix> hidden = m.forwardHidden(batch).lastHiddenState();
                JsonFiles.writeJsonObject(output, g -> writeMatrices(g, "last_hidden_state", hidden));
            }
        }
        return 0;
    }

    private JsonNode readInput() throws IOException {
        if (!Files.isRegularFile(input)) {
            throw new ModernBertException("input file " + input + " does not exist");
        }
        JsonNode in;
        try {
            in = JSON.readTree(input.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ModernBertException(input + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (in == null || !in.isObject() || !in.has("input_ids")) {
            throw new ModernBertException(input + ": expected a JSON object {\"input_ids\": [[...], ...]}");
        }
        return in;
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
