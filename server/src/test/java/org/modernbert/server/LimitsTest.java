package org.modernbert.server;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.modernbert.server.CompletionsTest.BUNDLED;
import static org.modernbert.server.CompletionsTest.body;
import static org.modernbert.server.ErrorsTest.error;

/** API key, queue limit (429), cancellation by clients that leave, and the draining shutdown (503). */
class LimitsTest {

    @Test
    void apiKeyGuardsEverythingButHealthAndReady() throws Exception {
        ModernBertServer server = new ModernBertServer(ServerOptions.of(BUNDLED).withBackend("cpu", null).withApiKey("sekret"));
        try {
            var address = server.start("127.0.0.1", 0);
            Client anonymous = new Client(address, null);
            Client wrong = new Client(address, "nope");
            Client right = new Client(address, "sekret");
            error(anonymous.post("/v1/completions", body("prompt", "a")), 401, null);
            error(wrong.post("/v1/completions", body("prompt", "a")), 401, null);
            error(anonymous.get("/v1/models"), 401, null);
            error(anonymous.get("/metrics"), 401, null);
            assertEquals(200, anonymous.get("/health").status());
            assertEquals(200, anonymous.get("/ready").status());
            assertEquals(200, right.post("/v1/completions", body("prompt", "a", "max_tokens", 2)).status());
            assertEquals(200, right.get("/metrics").status());
        } finally {
            server.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void aFullQueueIs429WithRetryAfter() throws Exception {
        ModernBertServer server = new ModernBertServer(ServerOptions.of(BUNDLED).withBackend("cpu", null)
                .withMaxBatchSequences(1).withMaxQueuedRequests(1));
        try {
            Client client = new Client(server.start("127.0.0.1", 0), null);
            List<Client.Reply> replies = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Client.Reply>> futures = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    futures.add(pool.submit(() -> client.post("/v1/completions",
                            body("prompt", "In the beginning", "max_tokens", 400, "temperature", 0))));
                }
                for (Future<Client.Reply> f : futures) {
                    replies.add(f.get());
                }
            }
            long ok = replies.stream().filter(r -> r.status() == 200).count();
            List<Client.Reply> refused = replies.stream().filter(r -> r.status() == 429).toList();
            assertEquals(24, ok + refused.size());
            assertTrue(ok >= 1 && !refused.isEmpty(), ok + " answered, " + refused.size() + " refused");
            error(refused.getFirst(), 429, null);
            assertEquals("1", refused.getFirst().headers().firstValue("Retry-After").orElse(""));
        } finally {
            server.stop(Duration.ofSeconds(5));
        }
    }

    /** Opens a stream and returns it once its first event arrived. */
    private static InputStream openStream(Client client, Map<String, Object> body) throws Exception {
        HttpRequest request = client.request("/v1/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Client.JSON.writeValueAsString(body))).build();
        HttpResponse<InputStream> r = client.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        InputStream in = r.body();
        BufferedReader first = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1);
        String line = first.readLine();
        assertTrue(line.startsWith("data: "), line);
        return in;
    }

    @Test
    void clientsThatLeaveAreCancelledAndTheirCachesFreed() throws Exception {
        ModernBertServer server = new ModernBertServer(ServerOptions.of(BUNDLED).withBackend("cpu", null));
        try {
            Client client = new Client(server.start("127.0.0.1", 0), null);
            List<InputStream> streams = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                streams.add(openStream(client, body("prompt", List.of("In the beginning", "And God said"), "n", 2,
                        "max_tokens", 1000, "temperature", 1.0, "stream", true)));
            }
            for (InputStream in : streams) {
                in.close(); // the client leaves
            }
            Map<String, Double> m = Map.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                m = MetricsText.parse(client.get("/metrics").text());
                if (m.get("modernbert_open_caches") == 0 && m.get("modernbert_running_sequences") == 0
                        && m.get("modernbert_requests_cancelled_total") >= 1) {
                    break;
                }
                Thread.sleep(20);
            }
            assertEquals(0.0, m.get("modernbert_open_caches"), m.toString());
            assertEquals(0.0, m.get("modernbert_running_sequences"), m.toString());
            assertTrue(m.get("modernbert_requests_cancelled_total") >= 1, m.toString());
            assertEquals(0.0, m.get("modernbert_queue_depth"));
            // and the server goes on answering
            assertEquals(200, client.post("/v1/completions", body("prompt", "a", "max_tokens", 2)).status());
        } finally {
            server.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void aClientThatLeavesWhileItsRequestWaitsInTheQueueIsCancelledBeforeItRuns() throws Exception {
        ModernBertServer server = new ModernBertServer(ServerOptions.of(BUNDLED).withBackend("cpu", null).withMaxBatchSequences(1));
        try {
            Client client = new Client(server.start("127.0.0.1", 0), null);
            // Eight prompts of 1000 tokens each: several seconds of steps (a request over the batch runs alone).
            InputStream busy = openStream(client, body("prompt", java.util.Collections.nCopies(8, "In the beginning"),
                    "max_tokens", 1000, "ignore_eos", true, "temperature", 1.0, "stream", true));
            // The second stream waits behind the first (a batch of one): no data yet, only keep-alive comments.
            HttpResponse<InputStream> waiting = client.http.send(client.request("/v1/completions").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Client.JSON.writeValueAsString(body("prompt", "And God said",
                            "max_tokens", 900, "temperature", 1.0, "stream", true)))).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, waiting.statusCode());
            waiting.body().close(); // the client leaves before its first token
            Map<String, Double> m = Map.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                m = MetricsText.parse(client.get("/metrics").text());
                if (m.get("modernbert_requests_cancelled_total") >= 1) {
                    break;
                }
                Thread.sleep(50);
            }
            assertEquals(1.0, m.get("modernbert_requests_cancelled_total"), "the keep-alive write noticed the hang-up: " + m);
            assertTrue(m.get("modernbert_running_sequences") > 0, "while the first request still runs: " + m);
            assertEquals(0.0, m.get("modernbert_queue_depth"), "the cancelled request left the queue: " + m);
            assertEquals(1.0, m.get("modernbert_running_requests"), "the first request alone runs: " + m);
            busy.close();
        } finally {
            server.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void shutdownTurnsReadyTo503AndDrainsRunningRequests() throws Exception {
        ModernBertServer server = new ModernBertServer(ServerOptions.of(BUNDLED).withBackend("cpu", null));
        Client client = new Client(server.start("127.0.0.1", 0), null);
        // 32 sequences of 900 tokens: seconds of work to drain
        Map<String, Object> heavy = body("prompt", List.of("a", "b", "c", "d", "e", "f", "g", "h"), "n", 4,
                "max_tokens", 900, "temperature", 1.0, "seed", 1);
        heavy.put("stream", false);
        CompletableFuture<Client.Reply> running = CompletableFuture.supplyAsync(() -> client.post("/v1/completions", heavy),
                Executors.newVirtualThreadPerTaskExecutor());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (MetricsText.parse(client.get("/metrics").text()).get("modernbert_running_sequences") == 0) {
            assertTrue(System.nanoTime() < deadline, "the request never ran");
            Thread.sleep(5);
        }
        CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> server.stop(Duration.ofSeconds(60)));
        while (client.get("/ready").status() != 503) {
            assertTrue(System.nanoTime() < deadline, "/ready never turned 503");
            Thread.sleep(1);
        }
        error(client.post("/v1/completions", body("prompt", "a", "max_tokens", 2)), 503, null);
        assertEquals(200, client.get("/health").status());
        Client.Reply drained = running.get();
        assertEquals(200, drained.status(), drained.text());
        assertEquals(32, drained.json().get("choices").size());
        for (var choice : drained.json().get("choices")) { // finished, not cut short ("abort")
            String reason = choice.get("finish_reason").asText();
            assertTrue(reason.equals("length") || reason.equals("stop"), reason);
        }
        assertTrue(stopped.get());
    }
}
