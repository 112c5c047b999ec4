package org.modernbert.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.TextClassificationPipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * POST /v1/classify (and /classify) {@code {"input": string | [string]}} for sequence classifiers:
 * each input's best label and score, as {@link TextClassificationPipeline#classify(String)} gives them.
 */
final class ClassifyHandler {
    private final ModernBertServer server;

    ClassifyHandler(ModernBertServer server) {
        this.server = server;
    }

    void handle(HttpExchange ex) throws IOException {
        TextClassificationPipeline pipeline = server.served().classifier();
        ObjectNode body = Http.readObject(ex, server.options().maxBodyBytes());
        if (pipeline == null) {
            throw ApiError.notFound("model_not_found", "the model '" + server.modelId()
                    + "' is a causal LM: it does not classify (use /v1/completions)");
        }
        server.requireModel(Fields.optString(body, "model"));
        List<String> inputs = Fields.optStrings(body, "input", true);
        if (inputs == null || inputs.isEmpty()) {
            throw ApiError.invalid("input", "the field input is required: a string or a non-empty list of strings");
        }
        int max = server.served().maxPositions();
        List<int[]> rows = new ArrayList<>(inputs.size());
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids = pipeline.tokenizer().encodeForGeneration(inputs.get(i));
            if (ids.length > max) {
                throw new ApiError(413, "invalid_request_error", "input", "context_length_exceeded",
                        "input " + i + " has " + ids.length + " tokens; the model takes at most " + max);
            }
            rows.add(ids);
            tokens += ids.length;
        }
        List<List<LabelScore>> scores = pipeline.classifyIds(rows, 1, null);
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("id", server.nextId("classify-"));
        root.put("object", "list");
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", server.modelId());
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < scores.size(); i++) {
            LabelScore best = scores.get(i).getFirst();
            ObjectNode d = data.addObject();
            d.put("index", i);
            d.put("label", best.label());
            d.put("score", best.score());
        }
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", tokens);
        usage.put("total_tokens", tokens);
        Http.sendJson(ex, 200, root);
    }
}
