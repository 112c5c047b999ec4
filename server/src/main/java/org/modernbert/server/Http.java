package org.modernbert.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading JSON bodies within a size limit and writing JSON answers and OpenAI error objects. */
final class Http {
    /** Bytes of an oversized body read (and dropped) before the 413, so that the client sees it. */
    static final long DRAIN_BYTES = 64L << 20;

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Http() {
    }

    /** The body as a JSON object: 413 beyond {@code limit} bytes, 400 when it is not one JSON object. */
    static ObjectNode readObject(HttpExchange ex, long limit) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw ApiError.invalid(null, "Content-Length is not a number");
            }
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (InputStream in = ex.getRequestBody()) {
            if (length > limit) {
                throw tooLarge(ex, in, limit);
            }
            byte[] chunk = new byte[8192];
            for (int n; (n = in.read(chunk)) >= 0; ) {
                buffer.write(chunk, 0, n);
                if (buffer.size() > limit) { // chunked bodies have no Content-Length: counted as read
                    throw tooLarge(ex, in, limit);
                }
            }
        }
        if (buffer.size() == 0) {
            throw ApiError.invalid(null, "the request body is empty: send a JSON object");
        }
        JsonNode node;
        try {
            node = JSON.readTree(buffer.toByteArray());
        } catch (JsonProcessingException e) {
            String reason = e.getOriginalMessage() == null ? "malformed" : e.getOriginalMessage().lines().findFirst().orElse("malformed");
            var at = e.getLocation();
            throw ApiError.invalid(null, "the request body is not valid JSON: " + reason
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
        if (!(node instanceof ObjectNode o)) {
            throw ApiError.invalid(null, "the request body must be a JSON object, got " + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        return o;
    }

    /**
     * The 413. A client still sending when the answer comes may miss it (the server would reset the
     * connection), so a body up to {@link #DRAIN_BYTES} is read and dropped first; the connection is closed after.
     */
    private static ApiError tooLarge(HttpExchange ex, InputStream in, long limit) throws IOException {
        byte[] sink = new byte[8192];
        long drained = 0;
        for (int n; drained < DRAIN_BYTES && (n = in.read(sink)) >= 0; ) {
            drained += n;
        }
        ex.getResponseHeaders().set("Connection", "close");
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than " + limit + " bytes, the limit of this server");
    }

    static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void sendText(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static ObjectNode errorBody(ApiError e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        err.put("param", e.param());
        err.put("code", e.code());
        return root;
    }

    static void sendError(HttpExchange ex, ApiError e) throws IOException {
        if (e.status() == 429) {
            ex.getResponseHeaders().set("Retry-After", "1");
        }
        sendJson(ex, e.status(), errorBody(e));
    }
}
