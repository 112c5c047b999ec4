package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.modernbert.api.ModernBertException;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.ScoreFunction;
import org.modernbert.core.pipeline.TextClassificationPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code modernbert classify}: labels and scores of texts, as transformers' text-classification pipeline. */
@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Classify texts with a sequence-classification model; labels sorted by score.",
                "--json prints one array per text of {\"label\", \"score\"} objects.",
                "Without TEXT (or with -) texts are read from standard input, one per line, and each answer is",
                "one line, printed as soon as it is done: label<TAB>score pairs, best first, or with --json",
                "the text's compact JSON array (JSONL). A blank line is the empty text, as TEXT \"\" is."})
final class ClassifyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "TEXT",
            description = "Texts to classify (one batch); none, or -: read texts from standard input, one per line.")
    List<String> texts;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder with a classification head and tokenizer.json.")
    Path model;

    @Mixin
    BackendChoice backend;

    @Option(names = "--top-k", paramLabel = "N", description = "Show the N best labels (default: every label).")
    Integer topK;

    @Option(names = "--function", paramLabel = "F",
            description = "function_to_apply: softmax, sigmoid or none (default: from problem_type / num_labels).")
    String function;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ScoreFunction fn = function == null ? null : ScoreFunction.parse(function);
        if (topK != null && topK < 1) {
            throw new ModernBertException("--top-k must be at least 1, got " + topK);
        }
        boolean fromStdin = texts == null || texts.isEmpty() || texts.equals(List.of("-"));
        if (!fromStdin && texts.contains("-")) {
            throw new ModernBertException("- (read texts from standard input) cannot be combined with TEXT arguments");
        }
        Path folder = ModelFolders.resolve(model);
        ModelFolders.requireModelFiles(folder, "classify needs the model's tokenizer");
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        InputLines lines = fromStdin ? InputLines.fromStdin(err, "texts") : null;
        // The model-load line is logged once, by ModernBert.
        try (TextClassificationPipeline pipe = TextClassificationPipeline.open(folder, backend.backend, backend.options())) {
            if (!fromStdin) {
                List<List<LabelScore>> result = pipe.classify(texts, topK, fn);
                if (json) {
                    ArrayNode all = JSON.createArrayNode();
                    for (List<LabelScore> row : result) {
                        all.add(labels(row));
                    }
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
                } else {
                    for (int i = 0; i < texts.size(); i++) {
                        out.println(texts.get(i));
                        for (LabelScore s : result.get(i)) {
                            out.printf(Locale.ROOT, "  %-20s %.6f%n", s.label(), s.score());
                        }
                    }
                }
                out.flush();
                return 0;
            }
            // Standard input: one answer line per input line, each flushed as soon as it is done.
            for (String line = lines.next(); line != null; line = lines.next()) {
                List<LabelScore> row;
                try {
                    row = pipe.classify(List.of(line), topK, fn).getFirst();
                } catch (ModernBertException e) {
                    throw new ModernBertException("standard input line " + lines.lineNumber() + ": " + e.getMessage(), e);
                }
                if (json) {
                    out.println(JSON.writeValueAsString(labels(row)));
                } else {
                    StringBuilder b = new StringBuilder();
                    for (LabelScore s : row) {
                        b.append(b.isEmpty() ? "" : "\t").append(InputLines.oneLine(s.label()))
                                .append('\t').append(String.format(Locale.ROOT, "%.6f", s.score()));
                    }
                    out.println(b);
                }
                out.flush();
                OutputFailure.checkStandardOutput(out); // a reader that left (| head -1) ends the run here
            }
            if (lines.lineNumber() == 0) {
                err.println("standard input had no lines: nothing to classify");
                err.flush();
            }
        }
        return 0;
    }

    private static ArrayNode labels(List<LabelScore> row) {
        ArrayNode r = JSON.createArrayNode();
        for (LabelScore s : row) {
            r.addObject().put("label", s.label()).put("score", s.score());
        }
        return r;
    }
}
