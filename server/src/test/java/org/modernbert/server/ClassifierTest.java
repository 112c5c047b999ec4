package org.modernbert.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.TextClassificationPipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.modernbert.server.ErrorsTest.error;

/** A ForSequenceClassification checkpoint is served on /v1/classify, as TextClassificationPipeline classifies. */
class ClassifierTest {
    @TempDir
    Path dir;

    @Test
    void classifyGivesThePipelinesBestLabel() throws IOException {
        Path model = ReferenceFixtures.classifierWithTokenizer(dir.resolve("tiny-cls"));
        List<String> texts = List.of("a fine day", "rain again", "x", "the quick brown fox jumps over the lazy dog");
        ModernBertServer server = new ModernBertServer(ServerOptions.of(model).withBackend("cpu", null));
        try (TextClassificationPipeline pipeline = TextClassificationPipeline.open(model, "cpu")) {
            Client client = new Client(server.start("127.0.0.1", 0), null);
            for (String path : List.of("/v1/classify", "/classify")) {
                Client.Reply r = client.post(path, Map.of("model", "tiny-cls", "input", texts));
                assertEquals(200, r.status(), r.text());
                JsonNode data = r.json().get("data");
                assertEquals(texts.size(), data.size());
                for (int i = 0; i < texts.size(); i++) {
                    LabelScore expected = pipeline.classify(texts.get(i));
                    assertEquals(i, data.get(i).get("index").asInt());
                    assertEquals(expected.label(), data.get(i).get("label").asText());
                    assertEquals(expected.score(), data.get(i).get("score").asDouble(), 1e-6);
                }
            }
            Client.Reply one = client.post("/v1/classify", Map.of("input", "a fine day"));
            assertEquals(pipeline.classify("a fine day").label(), one.json().get("data").get(0).get("label").asText());
            assertEquals("text-classification", client.get("/v1/models").json().get("data").get(0).get("task").asText());
            error(client.post("/v1/completions", Map.of("prompt", "a")), 404, null);
            error(client.post("/v1/classify", Map.of("input", 3)), 400, "input");
            error(client.post("/v1/classify", Map.of("model", "other", "input", "a")), 404, null);
        } finally {
            server.stop(Duration.ofSeconds(5));
        }
    }
}
