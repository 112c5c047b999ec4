package org.modernbert.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
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
        return readJson(output, "id");
    }

    /** The JSON-lines output of a job, sorted by a field. */
    static List<JsonNode> readJson(Path output, String sortField) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> parts = Files.list(output)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                for (String line : Files.readAllLines(part)) {
                    rows.add(JSON.readTree(line));
                }
            }
        }
        rows.sort(Comparator.comparing(r -> r.get(sortField), (a, b) -> a.isNumber() && b.isNumber()
                ? Long.compare(a.asLong(), b.asLong()) : a.asText().compareTo(b.asText())));
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
                assertTrue(rows.get(i).get("error").isNull());
            }
        }
        assertEquals("text is empty", rows.get(2).get("error").asText());
    }

    @Test
    void classifyAndScoreWriteParquetWithLabelsScoresAndLosses() throws IOException {
        Path cls = org.modernbert.conformance.ReferenceFixtures.classifierWithTokenizer(dir.resolve("cls"));
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
        // A result holds the task's columns: running a task on it is refused, not silently overwritten.
        Run again = job("--model", cls.toString(), "--task", "classify", "--input", dir.resolve("labels").toString(),
                "--input-format", "parquet", "--output", dir.resolve("again").toString(), "--master", "local[1]");
        assertEquals(1, again.exitCode());
        assertTrue(again.err().strip().endsWith("input column 'label' has the name of a result column of this task"
                + " ([label, score, error]): rename or drop it"), again.err());

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
    void parquetInputIsReadLikeJsonLines() throws IOException {
        Path input = dir.resolve("texts.parquet");
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            spark.createDataFrame(List.of(RowFactory.create(7L, "Jesus wept."), RowFactory.create(8L, "")), SparkTasksTest.ID_TEXT)
                    .write().parquet(input.toString());
        } finally {
            spark.stop();
        }
        Run run = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", input.toString(),
                "--output", dir.resolve("out").toString(), "--format", "json", "--master", "local[1]");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> rows = readJson(dir.resolve("out"));
        assertEquals(7, rows.get(0).get("id").asLong());
        assertTrue(rows.get(0).get("loss").asDouble() > 0, rows.toString());
        assertEquals("text is empty", rows.get(1).get("error").asText());
    }

    @Test
    void anExistingOutputIsRefusedAndLeftAlone() throws IOException {
        Path input = jsonl("prompts.jsonl", List.of("In the beginning"));
        Path output = Files.createDirectories(dir.resolve("out"));
        Path mine = Files.writeString(output.resolve("keep.txt"), "mine");
        Run run = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", input.toString(),
                "--output", output.toString(), "--master", "local[1]");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().strip().endsWith("modernbert-spark: error: output " + output
                + " already exists: choose a new path (the job never overwrites)"), run.err());
        assertEquals("mine", Files.readString(mine));
        try (Stream<Path> files = Files.list(output)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void sampledRowsWithoutIdsSampleTheSameWhateverThePartitioning() throws IOException {
        List<String> texts = List.of("In the beginning", "And God said", "Let there be light", "The LORD is my shepherd", "Jesus wept");
        Path input = dir.resolve("texts.jsonl");
        StringBuilder sb = new StringBuilder();
        for (String t : texts) {
            sb.append(JSON.createObjectNode().put("text", t)).append('\n');
        }
        Files.writeString(input, sb);
        List<List<JsonNode>> runs = new ArrayList<>();
        for (String partitions : List.of("1", "3")) {
            Path output = dir.resolve("sampled-" + partitions);
            Run run = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                    "--output", output.toString(), "--format", "json", "--sample", "--seed", "11", "--max-new-tokens", "10",
                    "--partitions", partitions, "--master", "local[2]");
            assertEquals(0, run.exitCode(), run.err());
            assertTrue(run.err().contains("job seed 11"), run.err());
            runs.add(readJson(output, "row_index"));
        }
        for (int i = 0; i < texts.size(); i++) {
            JsonNode one = runs.get(0).get(i);
            assertEquals(texts.get(i), one.get("text").asText(), "row_index follows the input's line order");
            assertEquals(RowSeeds.derive(11, Integer.toString(i)), one.get("seed").asLong());
            assertEquals(one, runs.get(1).get(i), "the same row, seed and text with 3 partitions");
        }
    }

    @Test
    void greedyRowsNeedNoIdsAndAllFailedRowsStillWriteEveryColumn() throws IOException {
        Path input = Files.writeString(dir.resolve("ids.jsonl"), "{\"id\": null, \"text\": \"In the beginning\"}\n{\"text\": \"\"}\n");
        Path output = dir.resolve("out");
        Run run = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                "--output", output.toString(), "--format", "json", "--greedy", "--max-new-tokens", "4", "--master", "local[1]");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("generate: 2 rows (1 errors)"), run.err());
        List<JsonNode> rows = readJson(output, "text");
        assertEquals("text is empty", rows.get(0).get("error").asText());
        assertTrue(rows.get(0).has("generated_text") && rows.get(0).get("generated_text").isNull(), "null columns are written: " + rows.get(0));
        assertTrue(rows.get(1).get("error").isNull(), rows.get(1).toString());

        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "{\"text\": \"\"}\n{\"text\": \" \"}\n");
        Run allFailed = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", empty.toString(),
                "--output", dir.resolve("none").toString(), "--format", "json", "--greedy", "--master", "local[1]");
        assertEquals(0, allFailed.exitCode(), allFailed.err());
        assertTrue(allFailed.err().contains("generate: 2 rows (2 errors)") && allFailed.err().contains(", 0 new tokens"), allFailed.err());
    }

    @Test
    void aJobThatFailsOnTheExecutorsSaysWhyOnceAndLeavesNoOutput() throws IOException {
        Path input = jsonl("prompts.jsonl", List.of("In the beginning", "And God said"));
        Path output = dir.resolve("out");
        // The CPU backend runs f32, bf16 and q8_0: f16 passes the driver's checks and fails where the model loads.
        Run run = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", input.toString(),
                "--output", output.toString(), "--quantize", "f16", "--backend", "cpu", "--master", "local[1]");
        assertEquals(1, run.exitCode());
        String last = run.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("modernbert-spark: error: ") && last.contains("F16"), run.err());
        assertFalse(Files.exists(output), "the folder the failed write began is gone, so a rerun can use the path");
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

        Run missing = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", dir.resolve("x.jsonl").toString(),
                "--output", out, "--master", "local[1]");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().strip().endsWith("modernbert-spark: error: input " + dir.resolve("x.jsonl") + " does not exist"), missing.err());

        Run backend = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", input.toString(),
                "--output", out, "--backend", "nosuch");
        assertTrue(backend.err().strip().startsWith("modernbert-spark: error: unknown backend 'nosuch'; installed: ["), backend.err());

        Run batch = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "score", "--input", input.toString(),
                "--output", out, "--batch-size", "0");
        assertEquals("modernbert-spark: error: --batch-size must be at least 1, got 0", batch.err().strip());

        Run contradiction = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                "--output", out, "--greedy", "--sample");
        assertEquals(1, contradiction.exitCode());
        assertEquals("modernbert-spark: error: --greedy and --sample contradict each other: choose one", contradiction.err().strip());

        Run badKnob = job("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                "--output", out, "--sample", "--temperature", "-1");
        assertEquals(1, badKnob.exitCode());
        assertTrue(badKnob.err().contains("temperature"), badKnob.err());
        assertFalse(Files.exists(Path.of(out)), "nothing was written");
    }
}
