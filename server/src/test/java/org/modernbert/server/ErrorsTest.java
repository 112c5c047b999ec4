package org.modernbert.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.modernbert.server.CompletionsTest.BUNDLED;
import static org.modernbert.server.CompletionsTest.body;

/** Every client mistake is an OpenAI error object with the right status, one line, never a stack trace. */
class ErrorsTest {
    static ModernBertServer server;
    static Client client;

    @BeforeAll
    static void start() throws IOException {
        server = new ModernBertServer(ServerOptions.of(BUNDLED).withBackend("cpu", null));
        client = new Client(server.start("127.0.0.1", 0), null);
    }

    @AfterAll
    static void stop() {
        server.stop(Duration.ofSeconds(5));
    }

    /** Checks the status and the error object; returns it. */
    static JsonNode error(Client.Reply r, int status, String param) {
        assertEquals(status, r.status(), r.text());
        JsonNode e = r.json().get("error");
        assertTrue(e.get("message").isTextual() && !e.get("message").asText().isEmpty(), r.text());
        assertFalse(e.get("message").asText().contains("\n"), r.text());
        assertTrue(e.has("type") && e.has("param") && e.has("code"), r.text());
        if (param != null) {
            assertEquals(param, e.get("param").asText(), r.text());
            assertTrue(e.get("message").asText().contains(param), r.text());
        }
        return e;
    }

    @Test
    void badBodiesAndFieldsAre400NamingTheField() {
        assertTrue(error(client.post("/v1/completions", "{\"prompt\": "), 400, null).get("message").asText().contains("not valid JSON"));
        error(client.post("/v1/completions", "[1, 2]"), 400, null);
        error(client.post("/v1/completions", "{\"prompt\": \"a\", \"prompt\": \"b\"}"), 400, null);
        error(client.post("/v1/completions", ""), 400, null);
        error(client.post("/v1/completions", body("prompt", "a", "max_tokens", "x")), 400, "max_tokens");
        error(client.post("/v1/completions", body("prompt", "a", "max_tokens", 0)), 400, "max_tokens");
        error(client.post("/v1/completions", body("prompt", "a", "temperature", -1)), 400, "temperature");
        error(client.post("/v1/completions", body("prompt", "a", "top_p", 0)), 400, "top_p");
        error(client.post("/v1/completions", body()), 400, "prompt");
        error(client.post("/v1/completions", body("prompt", List.of(1.5))), 400, "prompt");
        error(client.post("/v1/completions", body("prompt", List.of())), 400, "prompt");
        error(client.post("/v1/completions", body("prompt", List.of(1, 999999))), 400, "prompt");
        error(client.post("/v1/completions", body("prompt", List.of("a", 3))), 400, "prompt");
        error(client.post("/v1/completions", body("prompt", "a", "stop", 5)), 400, "stop");
        error(client.post("/v1/completions", body("prompt", "a", "stream", "yes")), 400, "stream");
        error(client.post("/v1/completions", body("prompt", "a", "logprobs", 6)), 400, "logprobs");
        error(client.post("/v1/completions", body("prompt", "a", "logprobs", 1, "echo", true)), 400, "logprobs");
        error(client.post("/v1/completions", body("prompt", "a", "n", 2, "temperature", 0)), 400, "n");
        error(client.post("/v1/completions", body("prompt", "a", "presence_penalty", 3)), 400, "presence_penalty");
        error(client.post("/v1/completions", body("prompt", "a", "frequency_penalty", -2.5)), 400, "frequency_penalty");
        error(client.post("/v1/completions", body("prompt", "a", "seed", "x")), 400, "seed");
        error(client.post("/tokenize", body()), 400, "prompt");
        error(client.post("/detokenize", body("tokens", List.of(-1))), 400, "tokens");
    }

    @Test
    void unknownModelPathAndMethod() {
        assertEquals("model_not_found", error(client.post("/v1/completions", Map.of("model", "gpt-4", "prompt", "a")), 404, null)
                .get("code").asText());
        error(client.get("/v1/nothing"), 404, null);
        Client.Reply r = client.get("/v1/completions");
        error(r, 405, null);
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        error(client.post("/v1/models", "{}"), 405, null);
        // a causal LM does not classify
        error(client.post("/v1/classify", body("input", "a")), 404, null);
    }

    @Test
    void tooLargeBodiesAndPrompts() {
        String big = "{\"prompt\": \"" + "a".repeat((int) ServerOptions.DEFAULT_MAX_BODY_BYTES) + "\"}";
        error(client.post("/v1/completions", big), 413, null);
        List<Integer> ids = new ArrayList<>(Collections.nCopies(1024, 5));
        error(client.post("/v1/completions", body("prompt", ids)), 413, "prompt");
        error(client.post("/v1/completions", body("prompt", ids.subList(0, 1000), "max_tokens", 100)), 400, "max_tokens");
        assertEquals(200, client.post("/v1/completions", body("prompt", ids.subList(0, 1000), "max_tokens", 24)).status());
    }

    @Test
    void theServerAnswersAfterErrors() {
        for (int i = 0; i < 3; i++) {
            client.post("/v1/completions", "{oops");
        }
        Client.Reply r = client.post("/v1/completions", body("prompt", "Amen", "max_tokens", 2, "temperature", 0));
        assertEquals(200, r.status(), r.text());
        Map<String, Double> m = MetricsText.parse(client.get("/metrics").text());
        assertTrue(m.get("modernbert_requests_total{endpoint=\"/v1/completions\",status=\"400\"}") >= 3, m.toString());
    }
}
