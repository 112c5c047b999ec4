package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.ModernBert;
import org.modernbert.core.generation.FinishReason;
import org.modernbert.core.generation.GeneratedSequence;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.GenerationOverrides;
import org.modernbert.core.generation.GenerationResult;
import org.modernbert.core.generation.Generator;
import org.modernbert.core.generation.TextStreamer;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code modernbert generate}: text (or token ids) in, continuation out, with the model's
 * {@code generation_config.json} as defaults and every knob as a flag. Progress and statistics go to
 * stderr, so stdout holds only the text (or the JSON).
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continue a prompt with a causal LM (greedy or sampled, as transformers' generate).",
                "Defaults come from the model's generation_config.json; flags override them.",
                "Without --model the small model bundled with the project is used.",
                "--json prints {\"prompt_ids\", \"new_ids\", \"generated_text\", \"full_text\", \"finish_reason\", ...}",
                "(a JSON array of such objects with --num-return-sequences > 1).",
                "Without PROMPT (or with -) prompts are read from standard input, one per line, and each answer",
                "is one line, printed as soon as it is done: the text with line breaks and tabs escaped as \\n, \\r, \\t",
                "(several sequences separated by tabs), or with --json one compact JSON value per line (JSONL).",
                "A blank line is the empty prompt, as PROMPT \"\" is."})
final class GenerateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PROMPT", description = "Prompt text (encoded as [CLS] + its tokens); - or none: read prompts from standard input.")
    String prompt;

    @Option(names = "--prompt-ids", split = ",", paramLabel = "ID", description = "Prompt as token ids, e.g. 50281,464,3139.")
    List<Integer> promptIds;

    @Option(names = "--model", paramLabel = "DIR", description = "Model folder (default: the bundled model).")
    Path model;

    @Mixin
    BackendChoice backend;

    @Option(names = "--greedy", description = "Greedy decoding (do_sample false).")
    boolean greedy;

    @Option(names = "--sample", description = "Sampling (do_sample true).")
    boolean sample;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "max_new_tokens.")
    Integer maxNewTokens;

    @Option(names = "--max-length", paramLabel = "N", description = "max_length (prompt plus new tokens).")
    Integer maxLength;

    @Option(names = "--min-new-tokens", paramLabel = "N", description = "min_new_tokens: no eos before this many.")
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

    @Option(names = "--repetition-penalty", description = "repetition_penalty over prompt and generated tokens.")
    Double repetitionPenalty;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N", description = "no_repeat_ngram_size.")
    Integer noRepeatNgramSize;

    @Option(names = "--num-return-sequences", paramLabel = "N", description = "num_return_sequences (needs sampling).")
    Integer numReturnSequences;

    @Option(names = "--seed", description = "Seed of the sampler: the same seed gives the same text.")
    Long seed;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop string (repeatable).")
    List<String> stop;

    @Option(names = "--max-time", paramLabel = "S", description = "max_time in seconds.")
    Double maxTime;

    @Option(names = "--eos-token-id", split = ",", paramLabel = "ID",
            description = "eos_token_id: one id or a comma-separated list (replaces the model's).")
    List<Integer> eosTokenIds;

    @Option(names = "--pad-token-id", paramLabel = "ID", description = "pad_token_id.")
    Integer padTokenId;

    @Option(names = "--ignore-eos", description = "Do not stop at eos tokens.")
    boolean ignoreEos;

    @Option(names = "--stream", description = "Print the text as it is generated.")
    boolean stream;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        boolean hasIds = promptIds != null && !promptIds.isEmpty();
        if (prompt != null && hasIds) {
            throw new ModernBertException("give either a PROMPT text or --prompt-ids, not both");
        }
        boolean fromStdin = !hasIds && (prompt == null || prompt.equals("-"));
        if (greedy && sample) {
            throw new ModernBertException("--greedy and --sample contradict each other: choose one");
        }
        if (ignoreEos && eosTokenIds != null) {
            throw new ModernBertException("--ignore-eos and --eos-token-id contradict each other: choose one");
        }
        if (stream && json) {
            throw new ModernBertException("--stream prints plain text: it cannot be combined with --json");
        }
        Path folder = ModelFolders.resolve(model);
        ModelFolders.requireModelFiles(folder, hasIds ? null : "give the prompt as token ids with --prompt-ids");
        GenerationConfig config = config(GenerationConfig.fromModelFolder(folder));
        if (stream && config.numReturnSequences() != 1) {
            throw new ModernBertException("--stream supports one sequence: drop --num-return-sequences or --stream");
        }
        Tokenizer tokenizer = Files.isRegularFile(folder.resolve("tokenizer.json")) ? HuggingFaceTokenizer.load(folder) : null;
        int maxPositions = ModernBertDecoderConfig.fromJsonFile(folder.resolve("config.json")).maxPositionEmbeddings();
        int[] ids = fromStdin ? null : prompt != null ? tokenizer.encodeForGeneration(prompt)
                : promptIds.stream().mapToInt(Integer::intValue).toArray();
        // Fail before the (slower) model load when the request cannot fit the model's positions
        // (for standard input: not even a one-token prompt).
        Generator.requireFits(0, fromStdin ? 1 : ids.length, config, maxPositions);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        InputLines lines = fromStdin ? InputLines.fromStdin(err, "prompts") : null;
        Stats stats = new Stats();
        // The model-load line is logged once, by ModernBert.
        try (CausalLanguageModel lm = ModernBert.loadCausalLM(folder, backend.backend, backend.options())) {
            Generator generator = new Generator(lm, tokenizer);
            if (!fromStdin) {
                stats.add(generate(generator, tokenizer, prompt, ids, config, out, false));
            } else {
                for (String line = lines.next(); line != null; line = lines.next()) {
                    try {
                        int[] lineIds = tokenizer.encodeForGeneration(line);
                        Generator.requireFits(0, lineIds.length, config, maxPositions);
                        stats.add(generate(generator, tokenizer, line, lineIds, config, out, true));
                        OutputFailure.checkStandardOutput(out); // a reader that left (| head -1) ends the run here
                    } catch (ModernBertException e) {
                        throw new ModernBertException("standard input line " + lines.lineNumber() + ": " + e.getMessage(), e);
                    }
                }
                if (lines.lineNumber() == 0) {
                    err.println("standard input had no lines: nothing to generate");
                    err.flush();
                    return 0;
                }
            }
            err.println(stats.line());
            err.flush();
        }
        return 0;
    }

    /**
     * One request: generates, prints the answer (for {@code oneLine}, standard input's mode: exactly
     * one line, JSON compact) and flushes it.
     */
    private GenerationResult generate(Generator generator, Tokenizer tokenizer, String text, int[] ids, GenerationConfig config,
                                      PrintWriter out, boolean oneLine) {
        TextStreamer streamer = null;
        if (stream && tokenizer != null) {
            if (text != null) {
                out.print(oneLine ? InputLines.oneLine(text) : text);
                out.flush();
            }
            streamer = new TextStreamer(tokenizer, (seq, piece, end) -> {
                out.print(oneLine ? InputLines.oneLine(piece) : piece);
                if (end) {
                    out.println();
                }
                out.flush();
            });
        }
        GenerationResult result = generator.generate(List.of(ids), config, streamer, null);
        if (json) {
            printJson(out, result, tokenizer, oneLine);
        } else if (!stream || tokenizer == null) {
            printText(out, result, tokenizer, oneLine);
        }
        out.flush();
        return result;
    }

    /**
     * The one stderr line after a run: what a user can act on. The time to the first token (the
     * prefill, which yields each sequence's first token) and the decode rate of the tokens after it;
     * finish reasons counted, so the line stays short with thousands of sequences.
     */
    static final class Stats {
        private int requests;
        private long promptTokens;
        private long firstTokenNanos;
        private long generated;
        private long decoded;
        private long decodeNanos;
        private final EnumMap<FinishReason, Integer> finish = new EnumMap<>(FinishReason.class);

        void add(GenerationResult r) {
            requests++;
            promptTokens += r.sequences().isEmpty() ? 0 : r.sequences().getFirst().promptIds().length;
            firstTokenNanos += r.prefillNanos();
            generated += r.generatedTokens();
            int steps = r.generatedTokens() - r.sequences().size();
            if (steps > 0 && r.decodeNanos() > 0) {
                decoded += steps;
                decodeNanos += r.decodeNanos();
            }
            for (GeneratedSequence s : r.sequences()) {
                finish.merge(s.finishReason(), 1, Integer::sum);
            }
        }

        String line() {
            StringBuilder b = new StringBuilder();
            b.append(requests == 1 ? "prompt: " : requests + " prompts: ").append(promptTokens).append(" tokens, ")
                    .append(requests == 1 ? "time to first token " : "mean time to first token ")
                    .append(requests == 0 ? "n/a" : Math.round(firstTokenNanos / 1e6 / requests)).append(" ms; generated: ")
                    .append(generated).append(" tokens, ").append(rate(decoded == 0 ? Double.NaN : decoded * 1e9 / decodeNanos))
                    .append(" tokens/s; finish: ");
            int sequences = finish.values().stream().mapToInt(Integer::intValue).sum();
            if (sequences == 1) {
                b.append(finish.keySet().iterator().next().jsonName());
            } else {
                StringBuilder f = new StringBuilder();
                finish.forEach((reason, n) -> f.append(f.isEmpty() ? "" : ", ").append(n).append(' ').append(reason.jsonName()));
                b.append(f);
            }
            return b.toString();
        }
    }

    private GenerationConfig config(GenerationConfig defaults) {
        return new GenerationOverrides(greedy, sample, maxNewTokens, maxLength, minNewTokens, temperature, topK, topP,
                minP, typicalP, repetitionPenalty, noRepeatNgramSize, numReturnSequences, seed, stop, maxTime,
                eosTokenIds, padTokenId, ignoreEos).apply(defaults);
    }

    /** A rate for people: "n/a" where there was nothing to time (NaN). */
    static String rate(double perSecond) {
        return Double.isFinite(perSecond) ? String.format(Locale.ROOT, "%.1f", perSecond) : "n/a";
    }

    private static void putRate(ObjectNode o, String field, double perSecond) {
        if (Double.isFinite(perSecond)) {
            o.put(field, perSecond);
        } else {
            o.putNull(field);
        }
    }

    private void printText(PrintWriter out, GenerationResult result, Tokenizer tokenizer, boolean oneLine) {
        if (oneLine) {
            // One line per prompt: several sequences are separated by tabs.
            StringBuilder line = new StringBuilder();
            for (GeneratedSequence s : result.sequences()) {
                line.append(line.isEmpty() ? "" : "\t")
                        .append(InputLines.oneLine(tokenizer == null ? join(s.newIds()) : tokenizer.decode(s.allIds(), true)));
            }
            out.println(line);
            return;
        }
        boolean several = result.sequences().size() > 1;
        for (int i = 0; i < result.sequences().size(); i++) {
            GeneratedSequence s = result.sequences().get(i);
            if (several) {
                out.println("--- sequence " + i + " ---");
            }
            if (tokenizer == null) {
                out.println(join(s.newIds()));
            } else {
                out.println(tokenizer.decode(s.allIds(), true));
            }
        }
    }

    private static String join(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            b.append(i == 0 ? "" : ",").append(ids[i]);
        }
        return b.toString();
    }

    private void printJson(PrintWriter out, GenerationResult result, Tokenizer tokenizer, boolean oneLine) {
        ArrayNode all = JSON.createArrayNode();
        for (GeneratedSequence s : result.sequences()) {
            ObjectNode o = all.addObject();
            ArrayNode p = o.putArray("prompt_ids");
            for (int id : s.promptIds()) {
                p.add(id);
            }
            ArrayNode n = o.putArray("new_ids");
            for (int id : s.newIds()) {
                n.add(id);
            }
            o.put("generated_text", s.generatedText());
            o.put("full_text", tokenizer == null ? null : tokenizer.decode(s.allIds(), true));
            o.put("finish_reason", s.finishReason().jsonName());
            o.put("prompt_tokens", s.promptIds().length);
            o.put("prefilled_tokens", result.prefilledTokens());
            o.put("generated_tokens", s.newIds().length);
            o.put("elapsed_ms", s.elapsedNanos() / 1e6);
            o.put("time_to_first_token_ms", result.prefillNanos() / 1e6);
            // NaN (no decode step, e.g. one new token) is null: JSON has no NaN.
            putRate(o, "prompt_tokens_per_second", result.promptTokensPerSecond());
            putRate(o, "generated_tokens_per_second", result.generatedTokensPerSecond());
        }
        try {
            JsonNode value = all.size() == 1 ? all.get(0) : all;
            out.println(oneLine ? JSON.writeValueAsString(value) : JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
