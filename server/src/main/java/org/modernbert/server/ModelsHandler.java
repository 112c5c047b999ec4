package org.modernbert.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;

/** GET /v1/models: the one model this server serves, as OpenAI lists models. */
final class ModelsHandler {
    private final ModernBertServer server;

    ModelsHandler(ModernBertServer server) {
        this.server = server;
    }

    void handle(HttpExchange ex) throws IOException {
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", server.modelId());
        m.put("object", "model");
        m.put("created", server.created());
        m.put("owned_by", "modernbert-java");
        m.put("max_model_len", server.served().maxPositions());
        m.put("task", server.served().scheduler() != null ? "text-generation" : "text-classification");
        Http.sendJson(ex, 200, root);
    }
}
