package org.modernbert.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A small java.net.http client for the tests. */
final class Client {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final String base;
    final String key;

    Client(java.net.InetSocketAddress address, String key) {
        this.base = "http://" + address.getHostString() + ":" + address.getPort();
        this.key = key;
    }

    record Reply(int status, JsonNode json, String text, java.net.http.HttpHeaders headers) {
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    Reply send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            String type = r.headers().firstValue("Content-Type").orElse("");
            if (type.startsWith("application/json")) {
                json = JSON.readTree(r.body());
            }
            return new Reply(r.statusCode(), json, r.body(), r.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    Reply post(String path, String body) {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    Reply post(String path, Map<String, ?> body) {
        try {
            return post(path, JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Reply get(String path) {
        return send(request(path).GET().build());
    }

    /** The JSON chunks of an SSE answer (without [DONE]); fails unless it ends with data: [DONE]. */
    static List<JsonNode> events(String body) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        String[] parts = body.split("\n\n");
        if (!parts[parts.length - 1].equals("data: [DONE]")) {
            throw new AssertionError("the stream does not end with data: [DONE]: " + body);
        }
        for (int i = 0; i < parts.length - 1; i++) {
            if (!parts[i].startsWith("data: ")) {
                throw new AssertionError("not an SSE data line: " + parts[i]);
            }
            out.add(JSON.readTree(parts[i].substring(6)));
        }
        return out;
    }
}
