package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.generation.FinishReason;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.TextIterator;
import org.modernbert.core.generation.TextPublisher;
import org.modernbert.core.pipeline.GeneratedText;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Text in, text out: the tiny-mbd-e2e fixture and the bundled model through the pipeline and the CLI. */
class TextGenerationEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TextGenerationPipeline e2e;

    @BeforeAll
    static void open() {
        e2e = TextGenerationPipeline.open(ReferenceFixtures.modelDir(ReferenceFixtures.END_TO_END_MODEL), "cpu");
    }

    @AfterAll
    static void close() {
        e2e.close();
    }

    private static GenerationConfig greedy16() {
        return e2e.defaults().toBuilder().greedy().maxNewTokens(16).eosTokenIds(List.of()).build();
    }

    @Test
    void pipelineReproducesTheFixtureTextAndIds() {
        for (JsonNode c : ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL)) {
            String text = c.get("text").asText();
            assertArrayEquals(GenerationEndToEndTest.ints(c.get("prompt_ids")), e2e.encode(text), text);
            GeneratedText out = e2e.generate(text, greedy16(), false).getFirst();
            assertArrayEquals(GenerationEndToEndTest.ints(c.get("new_ids")), out.sequence().newIds(), text);
            assertEquals(c.get("generated_text").asText(), out.sequence().generatedText(), text);
            assertEquals(c.get("generated_text").asText(), out.generatedText(), text);
            GeneratedText full = e2e.generate(text, greedy16(), true).getFirst();
            assertEquals(text + c.get("generated_text").asText(), full.generatedText());
        }
    }

    @Test
    void batchedPromptsGiveTheSameTexts() {
        List<String> texts = new ArrayList<>();
        ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL).forEach(c -> texts.add(c.get("text").asText()));
        List<List<GeneratedText>> out = e2e.generate(texts, greedy16(), false);
        int i = 0;
        for (JsonNode c : ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL)) {
            assertEquals(c.get("generated_text").asText(), out.get(i++).getFirst().generatedText());
        }
    }

    @Test
    void streamingDeliversTheSameTextInPieces() {
        JsonNode c = ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL).get(1);
        List<String> pieces = new ArrayList<>();
        try (TextIterator it = e2e.stream(c.get("text").asText(), greedy16())) {
            it.forEachRemaining(pieces::add);
        }
        assertTrue(pieces.size() > 1, pieces.toString());
        assertEquals(c.get("generated_text").asText(), String.join("", pieces));
    }

    @Test
    void aStalledStreamDoesNotBlockOtherRequestsOnThePipeline() throws Exception {
        JsonNode streamed = ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL).get(1);
        JsonNode other = ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL).get(0);
        TextPublisher pub = e2e.publisher(streamed.get("text").asText(), greedy16());
        AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        CountDownLatch first = new CountDownLatch(1);
        pub.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription.set(s);
                s.request(1); // then never again: the generation waits for demand
            }

            @Override
            public void onNext(String item) {
                first.countDown();
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        assertTrue(first.await(60, TimeUnit.SECONDS));
        // Another thread's request on the same pipeline runs to the end meanwhile.
        GeneratedText out = CompletableFuture.supplyAsync(() -> e2e.generate(other.get("text").asText(), greedy16(), false)
                .getFirst()).get(60, TimeUnit.SECONDS);
        assertEquals(other.get("generated_text").asText(), out.generatedText());
        assertFalse(pub.result().isDone(), "the stream still waits for demand");
        subscription.get().cancel();
        assertEquals(FinishReason.CANCELLED, pub.result().get(60, TimeUnit.SECONDS).sequences().getFirst().finishReason());
    }

    @Test
    void cliEosTokenIdFlagStopsAtTheGivenIds() throws IOException {
        Path dir = ReferenceFixtures.modelDir(ReferenceFixtures.END_TO_END_MODEL);
        JsonNode c = ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL).get(0);
        int[] greedyIds = GenerationEndToEndTest.ints(c.get("new_ids"));
        int eos = greedyIds[3];
        int stopAt = 0;
        while (greedyIds[stopAt] != eos) {
            stopAt++;
        }
        // A list of ids: 49999 is not among the greedy tokens, the other is the 4th greedy token.
        CliRun run = CliRun.of("generate", "--model", dir.toString(), "--greedy", "--max-new-tokens", "16",
                "--eos-token-id", "49999," + eos, "--pad-token-id", "0", "--json", c.get("text").asText());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode out = JSON.readTree(run.out());
        assertEquals("eos", out.get("finish_reason").asText());
        assertEquals(stopAt + 1, out.get("new_ids").size(), out.toString());
        assertEquals(eos, out.get("new_ids").get(stopAt).asInt());
        CliRun both = CliRun.of("generate", "--model", dir.toString(), "--ignore-eos", "--eos-token-id", "5", "x");
        assertEquals(1, both.exitCode());
        assertTrue(both.err().startsWith("error: ") && both.err().contains("--eos-token-id"), both.err());
    }

    @Test
    void cliJsonMatchesTheFixture() throws IOException {
        Path dir = ReferenceFixtures.modelDir(ReferenceFixtures.END_TO_END_MODEL);
        for (JsonNode c : ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL)) {
            CliRun run = CliRun.of("generate", "--model", dir.toString(), "--backend", "cpu", "--greedy", "--ignore-eos",
                    "--max-new-tokens", "16", "--json", c.get("text").asText());
            assertEquals(0, run.exitCode(), run.err());
            JsonNode out = JSON.readTree(run.out());
            assertEquals(c.get("new_ids"), out.get("new_ids"));
            assertEquals(c.get("prompt_ids"), out.get("prompt_ids"));
            assertEquals(c.get("generated_text").asText(), out.get("generated_text").asText());
            assertEquals(c.get("full_text").asText(), out.get("full_text").asText());
            assertEquals("length", out.get("finish_reason").asText());
            assertTrue(run.err().contains("tokens/s"), run.err());
        }
        // Token ids in, same continuation out.
        JsonNode c = ReferenceFixtures.golden(ReferenceFixtures.END_TO_END_MODEL).get(0);
        StringBuilder ids = new StringBuilder();
        c.get("prompt_ids").forEach(n -> ids.append(ids.isEmpty() ? "" : ",").append(n.asInt()));
        CliRun run = CliRun.of("generate", "--model", dir.toString(), "--greedy", "--ignore-eos",
                "--max-new-tokens", "16", "--json", "--prompt-ids", ids.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(c.get("new_ids"), JSON.readTree(run.out()).get("new_ids"));
    }

    @Test
    void bundledModelSamplesReproduciblyAndTopKOneIsGreedy() throws IOException {
        Path kjv = GenerationEndToEndTest.KJV;
        CliRun a = CliRun.of("generate", "--model", kjv.toString(), "--seed", "7", "--max-new-tokens", "24", "--json", "In the beginning");
        CliRun b = CliRun.of("generate", "--model", kjv.toString(), "--seed", "7", "--max-new-tokens", "24", "--json", "In the beginning");
        CliRun other = CliRun.of("generate", "--model", kjv.toString(), "--seed", "8", "--max-new-tokens", "24", "--json", "In the beginning");
        assertEquals(0, a.exitCode(), a.err());
        assertEquals(JSON.readTree(a.out()).get("new_ids"), JSON.readTree(b.out()).get("new_ids"));
        assertNotEquals(JSON.readTree(a.out()).get("new_ids"), JSON.readTree(other.out()).get("new_ids"));
        CliRun greedy = CliRun.of("generate", "--model", kjv.toString(), "--greedy", "--ignore-eos", "--max-new-tokens", "32",
                "--json", "In the beginning");
        CliRun topOne = CliRun.of("generate", "--model", kjv.toString(), "--top-k", "1", "--seed", "3", "--ignore-eos",
                "--max-new-tokens", "32", "--json", "In the beginning");
        JsonNode golden = JSON.readTree(kjv.resolve("golden.json").toFile()).get("prompts").get(0);
        assertEquals(golden.get("greedy_ids"), JSON.readTree(greedy.out()).get("new_ids"));
        assertEquals(golden.get("continuation_text").asText(), JSON.readTree(greedy.out()).get("generated_text").asText());
        assertEquals(golden.get("greedy_ids"), JSON.readTree(topOne.out()).get("new_ids"));
        // One new token has no decode step to time: the rate is null (JSON has no NaN), "n/a" on stderr.
        CliRun one = CliRun.of("generate", "--model", kjv.toString(), "--greedy", "--max-new-tokens", "1", "--json", "In");
        assertEquals(0, one.exitCode(), one.err());
        assertTrue(JSON.readTree(one.out()).get("generated_tokens_per_second").isNull(), one.out());
        assertTrue(one.err().contains("generated: 1 tokens, n/a tokens/s"), one.err());
    }

    @Test
    void severalReturnSequencesThroughThePipelineAndTheCli() throws IOException {
        Path kjv = GenerationEndToEndTest.KJV;
        try (TextGenerationPipeline pipe = TextGenerationPipeline.open(kjv, "cpu")) {
            GenerationConfig cfg = pipe.defaults().toBuilder().numReturnSequences(3).maxNewTokens(20).seed(11L).build();
            List<GeneratedText> out = pipe.generate("In the beginning", cfg, true);
            assertEquals(3, out.size());
            for (GeneratedText t : out) {
                assertTrue(t.generatedText().startsWith("In the beginning"), t.generatedText());
                assertEquals(0, t.sequence().promptIndex());
            }
            assertNotEquals(out.get(0).generatedText(), out.get(1).generatedText());
            List<GeneratedText> again = pipe.generate("In the beginning", cfg, false);
            assertEquals(out.get(2).generatedText(), "In the beginning" + again.get(2).generatedText());
        }
        CliRun run = CliRun.of("generate", "--model", kjv.toString(), "--num-return-sequences", "2", "--seed", "5",
                "--max-new-tokens", "8", "--json", "In the beginning");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode arr = JSON.readTree(run.out());
        assertTrue(arr.isArray() && arr.size() == 2, run.out());
        CliRun greedyMany = CliRun.of("generate", "--model", kjv.toString(), "--greedy", "--num-return-sequences", "2", "x");
        assertEquals(1, greedyMany.exitCode());
        assertTrue(greedyMany.err().contains("num_return_sequences"), greedyMany.err());
    }

    @Test
    void cliStopStringAndStreaming() throws IOException {
        Path kjv = GenerationEndToEndTest.KJV;
        // The greedy continuation is " of the world, and in the world, ...": stop at the first comma.
        CliRun stop = CliRun.of("generate", "--model", kjv.toString(), "--greedy", "--max-new-tokens", "32", "--stop", ",",
                "--json", "In the beginning");
        assertEquals(0, stop.exitCode(), stop.err());
        JsonNode out = JSON.readTree(stop.out());
        assertEquals("stop_string", out.get("finish_reason").asText());
        assertEquals(" of the world,", out.get("generated_text").asText());
        CliRun stream = CliRun.of("generate", "--model", kjv.toString(), "--greedy", "--ignore-eos", "--max-new-tokens", "32",
                "--stream", "In the beginning");
        assertEquals(0, stream.exitCode(), stream.err());
        JsonNode golden = JSON.readTree(kjv.resolve("golden.json").toFile()).get("prompts").get(0);
        assertEquals(golden.get("decoded_text").asText(), stream.out().strip());
    }

    @Test
    void cliErrorsAreOneLine() {
        Path kjv = GenerationEndToEndTest.KJV;
        CliRun tooLong = CliRun.of("generate", "--model", kjv.toString(), "--max-new-tokens", "5000", "In the beginning");
        assertEquals(1, tooLong.exitCode());
        assertTrue(tooLong.err().startsWith("error: ") && tooLong.err().contains("max_position_embeddings 1024"), tooLong.err());
        assertFalse(tooLong.err().contains("\tat "), "no stack trace");
        CliRun badTemp = CliRun.of("generate", "--model", kjv.toString(), "--temperature", "0", "hi");
        assertEquals(1, badTemp.exitCode());
        assertTrue(badTemp.err().contains("error: ") && badTemp.err().contains("temperature"), badTemp.err());
        // Without a prompt the prompts come from standard input (PipedInputTest); both kinds at once are an error.
        CliRun both = CliRun.of("generate", "--model", kjv.toString(), "--prompt-ids", "1,2", "hi");
        assertEquals(1, both.exitCode());
        assertTrue(both.err().startsWith("error: ") && both.err().contains("--prompt-ids"), both.err());
        CliRun noDir = CliRun.of("generate", "--model", "/nonexistent/model", "hi");
        assertEquals(1, noDir.exitCode());
        assertTrue(noDir.err().startsWith("error: model folder /nonexistent/model"), noDir.err());
    }
}
