package org.modernbert.spark;

import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.GenerationOverrides;
import org.modernbert.core.pipeline.GeneratedText;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Not a test: the measurement behind README's Spark figures. Greedy generation of the same prompts,
 * in the same batches, by the single-JVM pipeline and by the Spark task on local[N], alternating
 * rounds in one JVM on the same cores (the first Spark round includes its one model load).
 * Run: see README ("Batch inference on Spark").
 * Arguments: rows, new tokens per row, batch size, rounds, Spark cores.
 */
public final class ThroughputComparison {
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int newTokens = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int cores = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        String[] openings = {"In the beginning", "And God said", "The LORD is", "Blessed are the", "And it came to pass",
                "Let there be", "Thus saith the LORD", "Now the serpent", "And Moses said", "I am the"};
        List<String> prompts = new ArrayList<>();
        for (int i = 0; prompts.size() < rows; i++) {
            prompts.add(openings[i % openings.length] + (i < openings.length ? "" : " " + (i / openings.length)));
        }
        GenerationOverrides greedy = new GenerationOverrides(true, false, newTokens, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, true);
        SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("throughput")
                .config("spark.ui.enabled", "false").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        TextGeneration task = new TextGeneration(TaskSettings.of(ModelSource.onEveryNode(SparkTasksTest.BUNDLED)).withBatchSize(batch)
                .withBackend(new BackendSettings("cpu", 0, null, null)), greedy, null, 0, false);
        var input = spark.createDataset(prompts, Encoders.STRING()).toDF("text").repartition(cores).cache();
        input.count();
        try (TextGenerationPipeline pipeline = TextGenerationPipeline.open(SparkTasksTest.BUNDLED, "cpu")) {
            GenerationConfig config = greedy.apply(pipeline.defaults());
            for (int round = 1; round <= rounds; round++) {
                long start = System.nanoTime();
                long tokens = 0;
                for (int from = 0; from < prompts.size(); from += batch) {
                    for (List<GeneratedText> g : pipeline.generate(prompts.subList(from, Math.min(prompts.size(), from + batch)), config, false)) {
                        tokens += g.getFirst().sequence().newIds().length;
                    }
                }
                report("single JVM pipeline", round, rows, tokens, System.nanoTime() - start);
                start = System.nanoTime();
                Object sum = task.transform(input).agg(org.apache.spark.sql.functions.sum("new_tokens")).first().get(0);
                report("Spark local[" + cores + "]     ", round, rows, ((Number) sum).longValue(), System.nanoTime() - start);
            }
        } finally {
            spark.stop();
        }
    }

    private static void report(String what, int round, int rows, long tokens, long nanos) {
        double s = nanos / 1e9;
        System.out.printf(Locale.ROOT, "round %d %s: %d rows, %d new tokens in %.2f s: %.1f rows/s, %.0f tokens/s%n",
                round, what, rows, tokens, s, rows / s, tokens / s);
    }
}
