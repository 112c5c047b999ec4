package org.modernbert.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.TextClassificationPipeline;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spark-submit job on local[2], in this JVM: files in, files out, one-line errors. */
class BatchJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Run(int exitCode, String err) {
    }

    static Run job(String... args) {
        StringWriter err = new StringWriter();
        int code = BatchJob.run(new PrintWriter(err, true), args);
        return new Run(code, err.toString());
    }

    private Path jsonl(String name, List<String> texts) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            sb.append(JSON.createObjectNode().put("id", i).put("text", texts.get(i))).append('\n');
        }
        return Files.writeString(dir.resolve(name), sb);
    }

    /** The JSON-lines output of a job, sorted by id. */
    static List<JsonNode> readJson(Path output) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> parts = Files.list(output)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                for (String line : Files.readAllLines(part)) {
                    rows.add(JSON.readTree(line));
                }
            }
        }
        rows.sort(Comparator.comparingLong(r -> r.get("id").asLong()));
        return rows;
    }

    @Test
    void generateWritesOneRowPerInputRowWithThePipelinesText() throws IOException {
        Path input = jsonl("prompts.jsonl", List.of("In the beginning", "And God said", "", "Let there be light"));
        Path output = dir.resolve("out");
        Run run = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                "--output", output.toString(), "--format", "json", "--max-new-tokens", "16", "--greedy",
                "--master", "local[2]", "--partitions", "2", "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("generate: 4 rows (1 errors)"), run.err());
        List<JsonNode> rows = readJson(output);
        assertEquals(4, rows.size());
        try (TextGenerationPipeline pipeline = TextGenerationPipeline.open(SparkTasksTest.BUNDLED, "cpu")) {
            GenerationConfig greedy = pipeline.defaults().toBuilder().greedy().maxNewTokens(16).build();
            for (int i : new int[]{0, 1, 3}) {
                String prompt = rows.get(i).get("text").asText();
                assertEquals(pipeline.generate(prompt, greedy, false).getFirst().generatedText(),
                        rows.get(i).get("generated_text").asText(), prompt);
                assertFalse(rows.get(i).has("error"));
            }
        }
        assertEquals("text is empty", rows.get(2).get("error").asText());
    }

    @Test
    void classifyAndScoreWriteParquetWithLabelsScoresAndLosses() throws IOException {
        Path cls = SparkTasksTest.classifier(dir.resolve("cls"));
        List<String> texts = List.of("a fine day", "rain again", "sunny and warm");
        Path input = jsonl("texts.jsonl", texts);
        Run classified = job("--model", cls.toString(), "--task", "classify", "--input", input.toString(),
                "--output", dir.resolve("labels").toString(), "--master", "local[2]");
        assertEquals(0, classified.exitCode(), classified.err());
        Path scoredInput = jsonl("verses.jsonl", List.of("Jesus wept.", "In the beginning God created the heaven and the earth."));
        Run scored = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", scoredInput.toString(),
                "--output", dir.resolve("losses").toString(), "--format", "json", "--master", "local[2]");
        assertEquals(0, scored.exitCode(), scored.err());

        // Parquet read back through Spark's reader would need a session; the JSON twin checks the values,
        // the Parquet run checks the format is written (part files with the parquet magic).
        try (Stream<Path> parts = Files.list(dir.resolve("labels"))) {
            List<Path> parquet = parts.filter(p -> p.toString().endsWith(".parquet")).toList();
            assertFalse(parquet.isEmpty());
            byte[] head = Files.readAllBytes(parquet.getFirst());
            assertEquals("PAR1", new String(head, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        }
        Run classifiedJson = job("--model", cls.toString(), "--task", "classify", "--input", input.toString(),
                "--output", dir.resolve("labels-json").toString(), "--format", "json", "--master", "local[2]");
        assertEquals(0, classifiedJson.exitCode(), classifiedJson.err());
        List<JsonNode> labels = readJson(dir.resolve("labels-json"));
        try (TextClassificationPipeline pipeline = TextClassificationPipeline.open(cls, "cpu")) {
            for (int i = 0; i < texts.size(); i++) {
                LabelScore expected = pipeline.classify(texts.get(i));
                assertEquals(expected.label(), labels.get(i).get("label").asText());
                assertEquals(expected.score(), labels.get(i).get("score").asDouble(), 1e-6);
            }
        }
        List<JsonNode> losses = readJson(dir.resolve("losses"));
        try (TextGenerationPipeline pipeline = TextGenerationPipeline.open(SparkTasksTest.BUNDLED, "cpu")) {
            for (JsonNode row : losses) {
                int[] ids = pipeline.tokenizer().encode(row.get("text").asText(), true).ids();
                double loss = pipeline.model().forward(ForwardRequest.ids(ids).withLabels(List.of(ids))).loss();
                assertEquals(loss, row.get("loss").asDouble(), 1e-5 * loss);
            }
        }
    }

    @Test
    void anExistingOutputIsRefusedAndLeftAlone() throws IOException {
        Path input = jsonl("prompts.jsonl", List.of("In the beginning"));
        Path output = Files.createDirectories(dir.resolve("out"));
        Path mine = Files.writeString(output.resolve("keep.txt"), "mine");
        Run run = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", input.toString(),
                "--output", output.toString(), "--master", "local[1]");
        assertEquals(1, run.exitCode());
        assertEquals("modernbert-spark: error: output " + output + " already exists: choose a new path (the job never overwrites)",
                run.err().strip());
        assertEquals("mine", Files.readString(mine));
        try (Stream<Path> files = Files.list(output)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void badArgumentsAndModelsGetOneLineBeforeSparkStarts() throws IOException {
        Path input = jsonl("prompts.jsonl", List.of("In the beginning"));
        String out = dir.resolve("out").toString();
        Run noModel = job("--model", dir.resolve("nope").toString(), "--task", "generate", "--input", input.toString(), "--output", out);
        assertEquals(1, noModel.exitCode());
        assertEquals("modernbert-spark: error: model folder " + dir.resolve("nope") + " does not exist or is not a directory", noModel.err().strip());

        Run wrongHead = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "classify", "--input", input.toString(), "--output", out);
        assertEquals(1, wrongHead.exitCode());
        assertTrue(wrongHead.err().strip().endsWith("but this task needs ModernBertDecoderForSequenceClassification"), wrongHead.err());

        Run format = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", dir.toString(), "--output", out);
        assertEquals(1, format.exitCode());
        assertTrue(format.err().contains("cannot tell its format from the name"), format.err());

        Run missing = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", dir.resolve("x.jsonl").toString(), "--output", out);
        assertEquals("modernbert-spark: error: input " + dir.resolve("x.jsonl") + " does not exist", missing.err().strip());

        Run contradiction = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                "--output", out, "--greedy", "--sample");
        assertEquals("modernbert-spark: error: --greedy and --sample contradict each other: choose one", contradiction.err().strip());

        Run badKnob = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                "--output", out, "--sample", "--temperature", "-1");
        assertEquals(1, badKnob.exitCode());
        assertTrue(badKnob.err().contains("temperature"), badKnob.err());
        assertFalse(Files.exists(Path.of(out)), "nothing was written");
    }
}
