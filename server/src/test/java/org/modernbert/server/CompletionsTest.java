package org.modernbert.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /v1/completions on the bundled model against TextGenerationPipeline (what ./modernbert generate prints). */
class CompletionsTest {
    static final Path BUNDLED = Path.of("..", "examples", "models", "kjv-mbd-4m").toAbsolutePath().normalize();
    static final String MODEL = "kjv-mbd-4m";

    static ModernBertServer server;
    static Client client;
    static TextGenerationPipeline pipeline;

    @BeforeAll
    static void start() throws IOException {
        server = new ModernBertServer(ServerOptions.of(BUNDLED).withBackend("cpu", null));
        client = new Client(server.start("127.0.0.1", 0), null);
        pipeline = TextGenerationPipeline.open(BUNDLED, "cpu");
    }

    @AfterAll
    static void stop() {
        server.stop(Duration.ofSeconds(5));
        pipeline.close();
    }

    static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("model", MODEL);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static String greedy(String prompt, int maxNew) {
        GenerationConfig cfg = pipeline.defaults().toBuilder().greedy().maxNewTokens(maxNew).build();
        return pipeline.generate(prompt, cfg, false).getFirst().generatedText();
    }

    /** The concatenated text of each choice of a stream, and each choice's finish_reason. */
    static List<String> streamed(Client.Reply r, int choices, List<String> finish) throws IOException {
        assertEquals(200, r.status(), r.text());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<StringBuilder> texts = new ArrayList<>();
        for (int i = 0; i < choices; i++) {
            texts.add(new StringBuilder());
            finish.add(null);
        }
        for (JsonNode chunk : Client.events(r.text())) {
            assertEquals("text_completion", chunk.get("object").asText());
            assertEquals(MODEL, chunk.get("model").asText());
            for (JsonNode c : chunk.get("choices")) {
                int i = c.get("index").asInt();
                assertNull(finish.get(i), "a chunk after the choice's finish_reason");
                texts.get(i).append(c.get("text").asText());
                if (!c.get("finish_reason").isNull()) {
                    finish.set(i, c.get("finish_reason").asText());
                }
            }
        }
        return texts.stream().map(StringBuilder::toString).toList();
    }

    @Test
    void greedyCompletionIsWhatGenerateGreedyPrints() throws IOException {
        for (String prompt : List.of("In the beginning", "And God said")) {
            String expected = greedy(prompt, 24);
            Client.Reply r = client.post("/v1/completions", body("prompt", prompt, "max_tokens", 24, "temperature", 0));
            assertEquals(200, r.status(), r.text());
            JsonNode choice = r.json().get("choices").get(0);
            assertEquals(expected, choice.get("text").asText());
            assertEquals("text_completion", r.json().get("object").asText());
            assertTrue(r.json().get("id").asText().startsWith("cmpl-"));
            assertTrue(choice.get("logprobs").isNull());
            String reason = choice.get("finish_reason").asText();
            assertTrue(reason.equals("length") || reason.equals("stop"), reason);
            JsonNode usage = r.json().get("usage");
            assertEquals(pipeline.encode(prompt).length, usage.get("prompt_tokens").asInt());
            assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(), usage.get("total_tokens").asInt());

            List<String> finish = new ArrayList<>();
            List<String> texts = streamed(client.post("/v1/completions",
                    body("prompt", prompt, "max_tokens", 24, "temperature", 0, "stream", true)), 1, finish);
            assertEquals(expected, texts.getFirst());
            assertEquals(reason, finish.getFirst());
        }
    }

    @Test
    void tokenIdPromptsAndEchoAndSeveralPrompts() {
        int[] ids = pipeline.encode("In the beginning");
        List<Integer> list = new ArrayList<>();
        for (int id : ids) {
            list.add(id);
        }
        String expected = greedy("In the beginning", 8);
        Client.Reply r = client.post("/v1/completions", body("prompt", list, "max_tokens", 8, "temperature", 0));
        assertEquals(expected, r.json().get("choices").get(0).get("text").asText());
        r = client.post("/v1/completions", body("prompt", List.of(list, list), "max_tokens", 8, "temperature", 0, "echo", true));
        assertEquals(2, r.json().get("choices").size());
        assertEquals("In the beginning" + expected, r.json().get("choices").get(1).get("text").asText());
        r = client.post("/v1/completions", body("prompt", List.of("In the beginning", "And God said"), "max_tokens", 8, "temperature", 0));
        assertEquals(expected, r.json().get("choices").get(0).get("text").asText());
        assertEquals(greedy("And God said", 8), r.json().get("choices").get(1).get("text").asText());
    }

    @Test
    void seededSamplingIsReproducibleWhileOtherRequestsRun() throws Exception {
        GenerationConfig cfg = pipeline.defaults().toBuilder().doSample(true).temperature(0.8).seed(7L).maxNewTokens(32).build();
        String expected = pipeline.generate("And it came to pass", cfg, false).getFirst().generatedText();
        Map<String, Object> seeded = body("prompt", "And it came to pass", "max_tokens", 32, "temperature", 0.8, "seed", 7);
        assertEquals(expected, client.post("/v1/completions", seeded).json().get("choices").get(0).get("text").asText());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Client.Reply>> others = new ArrayList<>();
            List<Future<Client.Reply>> mine = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int seed = i;
                others.add(pool.submit(() -> client.post("/v1/completions",
                        body("prompt", "The LORD is my shepherd", "max_tokens", 40, "temperature", 1.0, "seed", seed, "stream", seed % 2 == 0))));
                mine.add(pool.submit(() -> client.post("/v1/completions", seeded)));
            }
            for (Future<Client.Reply> f : mine) {
                assertEquals(expected, f.get().json().get("choices").get(0).get("text").asText());
            }
            for (Future<Client.Reply> f : others) {
                assertEquals(200, f.get().status());
            }
        }
    }

    @Test
    void nChoicesEachFinish() throws IOException {
        Client.Reply r = client.post("/v1/completions", body("prompt", "Blessed are", "max_tokens", 12, "n", 2, "temperature", 0.9, "seed", 3));
        JsonNode choices = r.json().get("choices");
        assertEquals(2, choices.size());
        assertEquals(0, choices.get(0).get("index").asInt());
        assertEquals(1, choices.get(1).get("index").asInt());
        assertNotEquals(choices.get(0).get("text").asText(), choices.get(1).get("text").asText()); // copies sample apart
        List<String> finish = new ArrayList<>();
        List<String> texts = streamed(client.post("/v1/completions",
                body("prompt", "Blessed are", "max_tokens", 12, "n", 2, "temperature", 0.9, "seed", 3, "stream", true)), 2, finish);
        assertEquals(choices.get(0).get("text").asText(), texts.get(0));
        assertEquals(choices.get(1).get("text").asText(), texts.get(1));
        assertFalse(finish.contains(null));
    }

    @Test
    void stopStringsCutTheTextBeforeThem() throws IOException {
        String full = greedy("In the beginning", 40);
        String[] words = full.trim().split(" ");
        assertTrue(words.length > 3, full);
        String stop = " " + words[2];
        String expected = full.substring(0, full.indexOf(stop));
        Client.Reply r = client.post("/v1/completions", body("prompt", "In the beginning", "max_tokens", 40, "temperature", 0, "stop", stop));
        JsonNode c = r.json().get("choices").get(0);
        assertEquals(expected, c.get("text").asText());
        assertEquals("stop", c.get("finish_reason").asText());
        List<String> finish = new ArrayList<>();
        List<String> texts = streamed(client.post("/v1/completions", body("prompt", "In the beginning", "max_tokens", 40,
                "temperature", 0, "stop", List.of("zzzz", stop), "stream", true)), 1, finish);
        assertEquals(expected, texts.getFirst());
        assertEquals("stop", finish.getFirst());
    }

    @Test
    void logprobsHaveOneEntryPerToken() throws IOException {
        Client.Reply r = client.post("/v1/completions", body("prompt", "In the beginning", "max_tokens", 6, "temperature", 0, "logprobs", 3));
        assertEquals(200, r.status(), r.text());
        JsonNode lp = r.json().get("choices").get(0).get("logprobs");
        int n = r.json().get("usage").get("completion_tokens").asInt();
        assertEquals(n, lp.get("tokens").size());
        assertEquals(n, lp.get("token_logprobs").size());
        assertEquals(n, lp.get("top_logprobs").size());
        assertEquals(n, lp.get("text_offset").size());
        int previous = 0;
        for (int i = 0; i < n; i++) {
            double chosen = lp.get("token_logprobs").get(i).asDouble();
            assertTrue(chosen <= 0, lp.toString());
            JsonNode top = lp.get("top_logprobs").get(i);
            assertTrue(top.size() >= 1 && top.size() <= 3, top.toString());
            // greedy: the chosen token is the most likely one
            double best = top.elements().next().asDouble();
            assertEquals(best, chosen, 1e-5);
            int offset = lp.get("text_offset").get(i).asInt();
            assertTrue(offset >= previous);
            previous = offset;
        }
        // streamed: the same number of tokens over the chunks
        int streamedTokens = 0;
        for (JsonNode chunk : Client.events(client.post("/v1/completions",
                body("prompt", "In the beginning", "max_tokens", 6, "temperature", 0, "logprobs", 0, "stream", true)).text())) {
            JsonNode l = chunk.get("choices").get(0).get("logprobs");
            streamedTokens += l.get("tokens").size();
            assertEquals(l.get("tokens").size(), l.get("token_logprobs").size());
        }
        assertEquals(n, streamedTokens);
    }

    @Test
    void penaltiesAndVllmExtrasAreAccepted() {
        Client.Reply r = client.post("/v1/completions", body("prompt", "And God said", "max_tokens", 16, "temperature", 0,
                "presence_penalty", 1.5, "frequency_penalty", 1.0, "repetition_penalty", 1.2));
        assertEquals(200, r.status(), r.text());
        r = client.post("/v1/completions", body("prompt", "And God said", "max_tokens", 8, "temperature", 0.7, "top_k", 5,
                "top_p", 0.9, "min_p", 0.05, "seed", 1));
        assertEquals(200, r.status(), r.text());
    }

    @Test
    void modelsTokenizeDetokenize() {
        Client.Reply models = client.get("/v1/models");
        assertEquals(MODEL, models.json().get("data").get(0).get("id").asText());
        Client.Reply t = client.post("/tokenize", body("prompt", "In the beginning God created"));
        assertEquals(200, t.status(), t.text());
        int[] ids = pipeline.encode("In the beginning God created");
        assertEquals(ids.length, t.json().get("count").asInt());
        assertEquals(ids[0], t.json().get("tokens").get(0).asInt());
        assertEquals(1024, t.json().get("max_model_len").asInt());
        Client.Reply d = client.post("/detokenize", Map.of("tokens", t.json().get("tokens")));
        assertEquals("In the beginning God created", d.json().get("prompt").asText());
    }

    @Test
    void healthReadyAndMetrics() {
        assertEquals(200, client.get("/health").status());
        assertEquals(200, client.get("/ready").status());
        client.post("/v1/completions", body("prompt", "Amen", "max_tokens", 4, "temperature", 0));
        Map<String, Double> m = MetricsText.parse(client.get("/metrics").text());
        assertTrue(m.get("modernbert_requests_total{endpoint=\"/v1/completions\",status=\"200\"}") >= 1, m.toString());
        assertTrue(m.get("modernbert_generation_tokens_total") >= 4);
        assertTrue(m.get("modernbert_prompt_tokens_total") >= 1);
        assertTrue(m.get("modernbert_time_to_first_token_seconds_count") >= 1);
        assertTrue(m.containsKey("modernbert_time_per_output_token_seconds_bucket{le=\"+Inf\"}"));
        for (String g : List.of("modernbert_queue_depth", "modernbert_running_sequences", "modernbert_open_caches",
                "modernbert_batch_size", "modernbert_requests_cancelled_total")) {
            assertTrue(m.containsKey(g), g);
        }
    }
}
