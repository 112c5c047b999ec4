package org.modernbert.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.generation.GeneratedSequence;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.GenerationOverrides;
import org.modernbert.core.pipeline.GeneratedText;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.TextClassificationPipeline;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three tasks on Spark local[2] (two task slots, up to three attempts per task), against the
 * single-JVM pipelines on the same rows: the bundled causal LM and the tiny classifier fixture.
 */
class SparkTasksTest {
    static final Path BUNDLED = Path.of("..", "examples", "models", "kjv-mbd-4m").toAbsolutePath().normalize();
    static final List<String> PROMPTS = List.of("In the beginning", "And God said", "The LORD is my shepherd",
            "Blessed are the meek", "And it came to pass", "Let there be light", "for ever and ever");

    private static SparkSession spark;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,3]").appName("modernbert-spark test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static final StructType ID_TEXT = new StructType().add("id", DataTypes.LongType, false).add("text", DataTypes.StringType, true);

    private static Dataset<Row> rows(List<String> texts, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create((long) i, texts.get(i)));
        }
        return spark.createDataFrame(rows, ID_TEXT).repartition(partitions);
    }

    private static List<Row> sortedById(Dataset<Row> out) {
        List<Row> rows = new ArrayList<>(out.collectAsList());
        rows.sort(Comparator.comparingLong(r -> r.getLong(r.fieldIndex("id"))));
        return rows;
    }

    private static TaskSettings settings(Path model, int batchSize) {
        return TaskSettings.of(ModelSource.onEveryNode(model)).withBatchSize(batchSize)
                .withBackend(new BackendSettings("cpu", 0, null, null));
    }

    private static GenerationOverrides maxNew(int n, boolean greedy, boolean sample) {
        return new GenerationOverrides(greedy, sample, n, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, false);
    }

    @Test
    void greedyGenerationEqualsThePipelineRowByRowWithBadRowsAsErrors() {
        List<String> texts = new ArrayList<>(PROMPTS);
        texts.add("");
        texts.add(null);
        texts.add("word ".repeat(1100)); // over the model's 1024 positions
        TextGeneration task = new TextGeneration(settings(BUNDLED, 3), maxNew(16, true, false), "id", 0, false);
        List<Row> out = sortedById(task.transform(rows(texts, 3)));
        assertEquals(texts.size(), out.size());
        try (TextGenerationPipeline pipeline = TextGenerationPipeline.open(BUNDLED, "cpu")) {
            GenerationConfig greedy = maxNew(16, true, false).apply(pipeline.defaults());
            for (int i = 0; i < PROMPTS.size(); i++) {
                Row row = out.get(i);
                GeneratedText alone = pipeline.generate(PROMPTS.get(i), greedy, false).getFirst();
                assertNull(row.getAs("error"), () -> row.toString());
                assertEquals(alone.generatedText(), row.getAs("generated_text"), "row " + row);
                assertEquals(alone.sequence().finishReason().jsonName(), row.getAs("finish_reason"));
                assertEquals(alone.sequence().newIds().length, (int) row.getAs("new_tokens"));
                assertNull(row.getAs("seed"), "greedy rows have no seed");
            }
        }
        assertEquals("text is empty", out.get(PROMPTS.size()).getAs("error"));
        assertEquals("text is null", out.get(PROMPTS.size() + 1).getAs("error"));
        String tooLong = out.get(PROMPTS.size() + 2).getAs("error");
        assertTrue(tooLong.contains("1024"), tooLong);
        assertNull(out.get(PROMPTS.size() + 2).getAs("generated_text"));
    }

    @Test
    void seededSamplingDependsOnRowIdsOnlyAndReproducesAlone() {
        GenerationOverrides sample = maxNew(12, false, true);
        List<Row> a = sortedById(new TextGeneration(settings(BUNDLED, 4), sample, "id", 42, false).transform(rows(PROMPTS, 1)));
        List<Row> b = sortedById(new TextGeneration(settings(BUNDLED, 1), sample, "id", 42, false).transform(rows(PROMPTS, 3)));
        List<Row> other = sortedById(new TextGeneration(settings(BUNDLED, 4), sample, "id", 43, false).transform(rows(PROMPTS, 1)));
        int differ = 0;
        try (TextGenerationPipeline pipeline = TextGenerationPipeline.open(BUNDLED, "cpu")) {
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertEquals(a.get(i).<String>getAs("generated_text"), b.get(i).getAs("generated_text"), "partitioning changed row " + i);
                long seed = a.get(i).getAs("seed");
                assertEquals(RowSeeds.derive(42, Long.toString(i)), seed);
                GenerationConfig alone = sample.apply(pipeline.defaults()).toBuilder().seed(seed).build();
                assertEquals(pipeline.generate(PROMPTS.get(i), alone, false).getFirst().generatedText(), a.get(i).getAs("generated_text"));
                if (!a.get(i).getAs("generated_text").equals(other.get(i).getAs("generated_text"))) {
                    differ++;
                }
            }
        }
        assertTrue(differ > 0, "another job seed samples other texts");
    }

    @Test
    void sampledRowsWithoutIdColumnAreKeyedByTheirPositionInTheInput() {
        Dataset<Row> texts = spark.createDataset(PROMPTS, Encoders.STRING()).toDF("text");
        GenerationOverrides sample = maxNew(8, false, true);
        List<Row> out = new ArrayList<>(TextGeneration.of(settings(BUNDLED, 2), sample, 5).transform(texts.repartition(1)).collectAsList());
        out.sort(Comparator.comparingLong(r -> r.getLong(r.fieldIndex(DatasetTransform.ROW_INDEX_COLUMN))));
        assertEquals(PROMPTS.size(), out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(PROMPTS.get(i), out.get(i).getAs("text"));
            assertEquals(RowSeeds.derive(5, Long.toString(i)), (long) out.get(i).getAs("seed"));
        }
    }

    @Test
    void aRetriedTaskGivesTheSameRows() {
        GenerationOverrides sample = maxNew(8, false, true);
        TextGeneration task = new TextGeneration(settings(BUNDLED, 2), sample, "id", 9, false);
        List<Row> clean = sortedById(task.transform(rows(PROMPTS, 2)));
        // The first attempt of every task fails after it has begun reading its partition; Spark retries it.
        Dataset<Row> flaky = rows(PROMPTS, 2).map((org.apache.spark.api.java.function.MapFunction<Row, Row>) r -> {
            if (TaskContext.get().attemptNumber() == 0 && r.getLong(0) % 2 == 1) {
                throw new IllegalStateException("injected failure of a first attempt");
            }
            return r;
        }, Encoders.row(ID_TEXT));
        java.util.concurrent.atomic.AtomicInteger failedAttempts = new java.util.concurrent.atomic.AtomicInteger();
        org.apache.spark.scheduler.SparkListener counter = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                if (end.taskInfo().failed()) {
                    failedAttempts.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(counter);
        List<Row> retried;
        try {
            retried = sortedById(task.transform(flaky));
        } finally {
            spark.sparkContext().removeSparkListener(counter);
        }
        assertTrue(failedAttempts.get() >= 1, "a first attempt failed and was retried");
        assertEquals(clean.size(), retried.size());
        for (int i = 0; i < clean.size(); i++) {
            assertEquals(clean.get(i).<String>getAs("generated_text"), retried.get(i).getAs("generated_text"));
        }
    }

    @Test
    void classificationGivesThePipelinesLabelAndScore() throws IOException {
        Path model = ReferenceFixtures.classifierWithTokenizer(dir.resolve("cls"));
        List<String> texts = List.of("a fine day", "rain again", "x", "the quick brown fox jumps over the lazy dog");
        List<Row> out = sortedById(new TextClassification(settings(model, 3)).transform(rows(texts, 2)));
        try (TextClassificationPipeline pipeline = TextClassificationPipeline.open(model, "cpu")) {
            for (int i = 0; i < texts.size(); i++) {
                LabelScore expected = pipeline.classify(texts.get(i));
                assertEquals(expected.label(), out.get(i).getAs("label"));
                assertEquals(expected.score(), (double) out.get(i).getAs("score"), 1e-6);
                assertNull(out.get(i).getAs("error"));
            }
        }
    }

    @Test
    void scoringGivesTheCausalLmLossOfEachRowAlone() {
        List<String> texts = List.of("In the beginning God created the heaven and the earth.", "Jesus wept.",
                "And the evening and the morning were the first day.", "amen");
        List<Row> out = sortedById(new TextScoring(settings(BUNDLED, 3)).transform(rows(texts, 2)));
        try (TextGenerationPipeline pipeline = TextGenerationPipeline.open(BUNDLED, "cpu")) {
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = pipeline.tokenizer().encode(texts.get(i), true).ids();
                double loss = pipeline.model().forward(ForwardRequest.ids(ids).withLabels(List.of(ids))).loss();
                Row row = out.get(i);
                assertNull(row.getAs("error"), row::toString);
                assertEquals(loss, (double) row.getAs("loss"), 1e-5 * Math.abs(loss), row::toString);
                assertEquals(ids.length, (int) row.getAs("tokens"));
                assertEquals(-loss * (ids.length - 1), (double) row.getAs("log_likelihood"), 1e-4 * Math.abs(loss) * ids.length);
            }
        }
    }

    @Test
    void theModelIsLoadedOncePerJvmWhateverThePartitioning() {
        TextScoring task = new TextScoring(settings(BUNDLED, 1));
        task.transform(rows(PROMPTS, 5)).collectAsList();
        int loads = ExecutorModels.loads();
        task.transform(rows(PROMPTS, 7)).collectAsList();
        new TextScoring(settings(BUNDLED, 2)).transform(rows(PROMPTS, 3)).collectAsList();
        assertEquals(loads, ExecutorModels.loads(), "15 more partitions in two more jobs, no more loads");
    }

    @Test
    void badColumnsAndModelsFailOnTheDriverWithOneLine() {
        ModernBertException noColumn = assertThrows(ModernBertException.class,
                () -> new TextScoring(settings(BUNDLED, 2).withTextColumn("body")).transform(rows(PROMPTS, 1)));
        assertEquals("the input has no text column 'body'; its columns are [id, text]", noColumn.getMessage());
        ModernBertException wrongHead = assertThrows(ModernBertException.class,
                () -> new TextClassification(settings(BUNDLED, 2)).transform(rows(PROMPTS, 1)));
        assertTrue(wrongHead.getMessage().contains("needs ModernBertDecoderForSequenceClassification"), wrongHead.getMessage());
        Dataset<Row> clash = rows(PROMPTS, 1).withColumnRenamed("id", "loss");
        ModernBertException taken = assertThrows(ModernBertException.class, () -> new TextScoring(settings(BUNDLED, 2)).transform(clash));
        assertTrue(taken.getMessage().startsWith("input column 'loss' has the name of a result column"), taken.getMessage());
    }
}
