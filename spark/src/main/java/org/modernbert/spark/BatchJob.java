package org.modernbert.spark;

import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.modernbert.api.ModernBertException;
import org.modernbert.core.generation.GenerationOverrides;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The job for {@code spark-submit} (and {@code ./modernbert-spark} on {@code local[N]}): reads a JSONL
 * or Parquet file, runs one task over its text column and writes the input columns plus the task's
 * result columns and {@code error}. The model folder is validated on the driver before any task runs;
 * an output that exists is never overwritten.
 */
@Command(name = "modernbert-spark", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Classify, generate or score a text column on Apache Spark, the model loaded once per executor.",
                "Input: .jsonl/.json (one JSON object per line) or .parquet; output: a folder of part files (parquet or JSON lines)",
                "with the input columns, the result columns (classify: label, score; generate: generated_text, finish_reason,",
                "prompt_tokens, new_tokens, seed; score: loss, log_likelihood, tokens) and error (null when the row succeeded)."})
public final class BatchJob implements Callable<Integer> {

    enum Task { classify, generate, score }

    enum Format { parquet, json }

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder on the driver.")
    Path model;

    @Option(names = "--task", required = true, description = "classify, generate or score.")
    Task task;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "Input: .jsonl, .json or .parquet (any Hadoop path).")
    String input;

    @Option(names = "--input-format", description = "json or parquet, when the input's name does not say (a folder of part files).")
    Format inputFormat;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "Output folder; must not exist.")
    String output;

    @Option(names = "--format", description = "Output format: parquet (default) or json (JSON lines).")
    Format format = Format.parquet;

    @Option(names = "--text-column", paramLabel = "NAME", description = "Column with the text (default: text).")
    String textColumn = TaskSettings.DEFAULT_TEXT_COLUMN;

    @Option(names = "--id-column", paramLabel = "NAME", description = "Column of row ids that sampling seeds derive from (default: id when"
            + " the input has it, else the row's position, written as row_index).")
    String idColumn;

    @Option(names = "--batch-size", paramLabel = "N", description = "Rows per model call (default: 16).")
    int batchSize = TaskSettings.DEFAULT_BATCH_SIZE;

    @Option(names = "--partitions", paramLabel = "N", description = "Repartition the input into N partitions (default: as read).")
    Integer partitions;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    @Option(names = "--model-on-every-node", description = "The model folder is at the same path on every node (a shared mount):"
            + " do not ship it with spark.files.")
    boolean modelOnEveryNode;

    @Option(names = "--backend", description = "Backend name on the executors (default: the best available).")
    String backend;

    @Option(names = "--threads", description = "Backend worker threads per executor (default, or 0: one per core).")
    int threads;

    @Option(names = "--device", description = "Backend device id.")
    String device;

    @Option(names = "--quantize", paramLabel = "FORMAT", description = "Convert the weights while loading: q8_0, bf16 or f32.")
    String quantize;

    @Option(names = "--return-full-text", description = "generated_text is prompt + continuation (the pipeline's default) instead of the continuation.")
    boolean returnFullText;

    @Option(names = "--seed", description = "Job seed for sampling; each row's seed derives from it and the row id (default: random, logged).")
    Long seed;

    @Option(names = "--greedy", description = "Greedy decoding (do_sample false).")
    boolean greedy;

    @Option(names = "--sample", description = "Sampling (do_sample true).")
    boolean sample;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "max_new_tokens.")
    Integer maxNewTokens;

    @Option(names = "--max-length", paramLabel = "N", description = "max_length (prompt plus new tokens).")
    Integer maxLength;

    @Option(names = "--min-new-tokens", paramLabel = "N", description = "min_new_tokens.")
    Integer minNewTokens;

    @Option(names = "--temperature", description = "temperature (sampling).")
    Double temperature;

    @Option(names = "--top-k", description = "top_k (sampling; 0 disables).")
    Integer topK;

    @Option(names = "--top-p", description = "top_p (sampling).")
    Double topP;

    @Option(names = "--min-p", description = "min_p (sampling).")
    Double minP;

    @Option(names = "--typical-p", description = "typical_p (sampling).")
    Double typicalP;

    @Option(names = "--repetition-penalty", description = "repetition_penalty.")
    Double repetitionPenalty;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N", description = "no_repeat_ngram_size.")
    Integer noRepeatNgramSize;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop string (repeatable).")
    List<String> stop;

    @Option(names = "--max-time", paramLabel = "S", description = "max_time in seconds, per batch of rows.")
    Double maxTime;

    @Option(names = "--eos-token-id", split = ",", paramLabel = "ID", description = "eos_token_id: one id or a comma-separated list.")
    List<Integer> eosTokenIds;

    @Option(names = "--pad-token-id", paramLabel = "ID", description = "pad_token_id.")
    Integer padTokenId;

    @Option(names = "--ignore-eos", description = "Do not stop at eos tokens.")
    boolean ignoreEos;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.err, true), args));
    }

    /** Runs the job, reporting to {@code err}; the exit status (0 done, 1 failed or refused, 2 unparsable arguments). */
    public static int run(PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new BatchJob()).setCaseInsensitiveEnumValuesAllowed(true).setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("modernbert-spark: error: " + message(e));
            cmd.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws IOException {
        if (greedy && sample) {
            throw new ModernBertException("--greedy and --sample contradict each other: choose one");
        }
        if (batchSize < 1) {
            throw new ModernBertException("--batch-size must be at least 1, got " + batchSize);
        }
        if (partitions != null && partitions < 1) {
            throw new ModernBertException("--partitions must be at least 1, got " + partitions);
        }
        Format readAs = inputFormat != null ? inputFormat : formatOf(input);
        SparkConf conf = new SparkConf(); // what spark-submit set (spark.* system properties)
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        boolean cluster = !conf.get("spark.master").startsWith("local");
        boolean ship = cluster && !modelOnEveryNode;
        ModelSource source = ship ? ModelSource.shipped(model) : ModelSource.onEveryNode(model);
        if (ship) {
            // Spark only ships what spark.files lists when the context starts (addFile later did not, in 4.2).
            conf.set("spark.files", source.sparkFiles(conf.get("spark.files", null)));
        }
        if (cluster && conf.get("spark.jars", "").isBlank()) {
            conf.set("spark.jars", jobJar()); // started without spark-submit: executors need our classes too
        }
        TaskSettings settings = new TaskSettings(source, new BackendSettings(backend, threads, device, quantize), textColumn, batchSize);
        long jobSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        RowTask rowTask = switch (task) {
            case classify -> new TextClassification(settings);
            case score -> new TextScoring(settings);
            case generate -> new TextGeneration(settings, overrides(), idColumn, jobSeed, returnFullText);
        };
        rowTask.validate(); // before Spark starts: a bad folder, backend or flag costs no cluster time
        boolean sampling = rowTask instanceof TextGeneration g && g.samples();
        SparkSession spark = SparkSession.builder().appName("modernbert " + task).config(conf).getOrCreate();
        try {
            long start = System.nanoTime();
            FileSystem fs = new org.apache.hadoop.fs.Path(output).getFileSystem(spark.sparkContext().hadoopConfiguration());
            requireInput(spark);
            org.apache.hadoop.fs.Path out = fs.makeQualified(new org.apache.hadoop.fs.Path(output));
            if (fs.exists(out)) {
                throw new ModernBertException("output " + output + " already exists: choose a new path (the job never overwrites)");
            }
            Dataset<Row> rows = spark.read().format(readAs.name()).load(input);
            if (rowTask instanceof TextGeneration g && sampling) {
                String ids = idColumn != null ? idColumn : List.of(rows.schema().fieldNames()).contains("id") ? "id" : null;
                if (ids == null) {
                    // Number rows as read, before any repartition, so seeds do not depend on --partitions.
                    rows = DatasetTransform.withRowIndex(rows);
                    ids = DatasetTransform.ROW_INDEX_COLUMN;
                }
                rowTask = new TextGeneration(settings, g.overrides(), ids, jobSeed, returnFullText);
            }
            if (partitions != null) {
                rows = rows.repartition(partitions);
            }
            write(rowTask.transform(rows), fs, out);
            double seconds = (System.nanoTime() - start) / 1e9;
            summarize(spark, seconds, sampling ? jobSeed : null);
        } finally {
            spark.stop();
        }
        return 0;
    }

    /** Writes the result; a failed write removes the folder it began (it did not exist before), so a rerun can use the path. */
    private void write(Dataset<Row> result, FileSystem fs, org.apache.hadoop.fs.Path out) throws IOException {
        try {
            var writer = result.write().mode(SaveMode.ErrorIfExists).format(format.name());
            if (format == Format.json) {
                writer = writer.option("ignoreNullFields", "false"); // every row has every column, error: null included
            }
            writer.save(output);
        } catch (Exception e) { // Spark's task failures come as SparkException, a checked exception Scala throws undeclared
            if (fs.exists(out) && onlySparkTemporaries(fs, out)) {
                fs.delete(out, true);
            }
            throw e;
        }
    }

    /** Whether a folder holds only what Spark's commit protocol leaves behind (names starting with _ or .). */
    private static boolean onlySparkTemporaries(FileSystem fs, org.apache.hadoop.fs.Path folder) throws IOException {
        for (var status : fs.listStatus(folder)) {
            String name = status.getPath().getName();
            if (!name.startsWith("_") && !name.startsWith(".")) {
                return false;
            }
        }
        return true;
    }

    private void requireInput(SparkSession spark) throws IOException {
        org.apache.hadoop.fs.Path in = new org.apache.hadoop.fs.Path(input);
        if (!in.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(in)) {
            throw new ModernBertException("input " + input + " does not exist");
        }
    }

    /** The jar this class came from; a cluster run needs one to ship. */
    private static String jobJar() {
        try {
            Path location = Path.of(BatchJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(location) && location.toString().endsWith(".jar")) {
                return location.toString();
            }
        } catch (java.net.URISyntaxException | SecurityException | NullPointerException e) {
            // fall through to the message below
        }
        throw new ModernBertException("a cluster run needs the job jar for the executors: submit spark/target/modernbert-spark.jar"
                + " with spark-submit, or run ./modernbert-spark");
    }

    private GenerationOverrides overrides() {
        return new GenerationOverrides(greedy, sample, maxNewTokens, maxLength, minNewTokens, temperature, topK, topP,
                minP, typicalP, repetitionPenalty, noRepeatNgramSize, null, null, stop, maxTime, eosTokenIds, padTokenId,
                ignoreEos);
    }

    private static Format formatOf(String path) {
        String name = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            return Format.json;
        }
        if (name.endsWith(".parquet")) {
            return Format.parquet;
        }
        throw new ModernBertException("input " + path + ": cannot tell its format from the name; expected .jsonl, .json or"
                + " .parquet, or give --input-format json|parquet");
    }

    /** Reads the written output back for exact counts (accumulators would count retried tasks twice). */
    private void summarize(SparkSession spark, double seconds, Long jobSeed) {
        Dataset<Row> written = spark.read().format(format.name()).load(output);
        List<String> columns = List.of(written.schema().fieldNames());
        Row counts = written.agg(functions.count(functions.lit(1)),
                columns.contains(RowTask.ERROR_COLUMN) ? functions.count(functions.col(RowTask.ERROR_COLUMN)) : functions.lit(0L),
                columns.contains("new_tokens") ? functions.sum("new_tokens") : functions.lit(null)).first();
        long rows = counts.getLong(0);
        long errors = counts.getLong(1);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "modernbert-spark: %s: %d rows (%d errors) in %.1f s, %.2f rows/s",
                task, rows, errors, seconds, rows / seconds));
        if (task == Task.generate) {
            long tokens = counts.isNullAt(2) ? 0 : counts.getLong(2); // the sum of no rows (all failed) is null
            line.append(String.format(Locale.ROOT, ", %d new tokens, %.1f tokens/s", tokens, tokens / seconds));
        }
        if (jobSeed != null) {
            line.append(", job seed ").append(jobSeed);
        }
        line.append("; wrote ").append(output).append(" (").append(format).append(')');
        spec.commandLine().getErr().println(line);
        spec.commandLine().getErr().flush();
    }

    /** One line: our own message where one is in the chain (Spark wraps task failures), else the first line of the outermost. */
    static String message(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ModernBertException) {
                return t.getMessage();
            }
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
