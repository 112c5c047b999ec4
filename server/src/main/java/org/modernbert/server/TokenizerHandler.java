package org.modernbert.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import org.modernbert.api.tokenizer.Tokenizer;

import java.io.IOException;

/**
 * POST /tokenize {@code {"prompt", "add_special_tokens"?}} and POST /detokenize {@code {"tokens"}}, as
 * vLLM has them. With special tokens (the default) a prompt gets the ids generation gives it
 * ({@code [CLS]} + its ids); /detokenize skips special tokens, so the two round-trip.
 */
final class TokenizerHandler {
    private final ModernBertServer server;

    TokenizerHandler(ModernBertServer server) {
        this.server = server;
    }

    void tokenize(HttpExchange ex) throws IOException {
        ObjectNode body = Http.readObject(ex, server.options().maxBodyBytes());
        server.requireModel(Fields.optString(body, "model"));
        String prompt = Fields.requireString(body, "prompt");
        boolean special = Fields.optBool(body, "add_special_tokens", true);
        Tokenizer t = server.served().tokenizer();
        int[] ids = special ? t.encodeForGeneration(prompt) : t.encode(prompt, false).ids();
        ObjectNode root = Http.JSON.createObjectNode();
        ArrayNode tokens = root.putArray("tokens");
        for (int id : ids) {
            tokens.add(id);
        }
        root.put("count", ids.length);
        root.put("max_model_len", server.served().maxPositions());
        Http.sendJson(ex, 200, root);
    }

    void detokenize(HttpExchange ex) throws IOException {
        ObjectNode body = Http.readObject(ex, server.options().maxBodyBytes());
        server.requireModel(Fields.optString(body, "model"));
        if (body.get("tokens") == null) {
            throw ApiError.invalid("tokens", "the field tokens is required (a list of token ids)");
        }
        int[] ids = Fields.tokenIds(body.get("tokens"), "tokens", server.served().tokenizer().vocabSize());
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("prompt", server.served().tokenizer().decode(ids, true));
        Http.sendJson(ex, 200, root);
    }
}
