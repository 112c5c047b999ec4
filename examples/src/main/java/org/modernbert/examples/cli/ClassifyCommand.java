package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
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
                "--json prints one array per text of {\"label\", \"score\"} objects."})
final class ClassifyCommand implements Callable<Integer> {
    private static final Logger LOG = LogManager.getLogger(ClassifyCommand.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "Texts to classify (one batch).")
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
        long start = System.nanoTime();
        try (TextClassificationPipeline pipe = TextClassificationPipeline.open(ModelFolders.resolve(model), backend.backend, backend.options())) {
            LOG.info("model {} ready on backend {} in {} ms", model, pipe.model().backendName(),
                    (System.nanoTime() - start) / 1_000_000);
            List<List<LabelScore>> result = pipe.classify(texts, topK, fn);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ArrayNode all = JSON.createArrayNode();
                for (List<LabelScore> row : result) {
                    ArrayNode r = all.addArray();
                    for (LabelScore s : row) {
                        r.addObject().put("label", s.label()).put("score", s.score());
                    }
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
        }
        return 0;
    }
}
