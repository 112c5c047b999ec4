package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.ModernBert;
import org.modernbert.core.generation.GeneratedSequence;
import org.modernbert.core.generation.GenerationConfig;
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

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
                "(a JSON array of such objects with --num-return-sequences > 1)."})
final class GenerateCommand implements Callable<Integer> {
    private static final Logger LOG = LogManager.getLogger(GenerateCommand.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PROMPT", description = "Prompt text (encoded as [CLS] + its tokens).")
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
    public Integer call() {
        if ((prompt == null) == (promptIds == null || promptIds.isEmpty())) {
            throw new ModernBertException("give either a PROMPT text or --prompt-ids (exactly one of them)");
        }
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
        GenerationConfig config = config(GenerationConfig.fromModelFolder(folder));
        if (stream && config.numReturnSequences() != 1) {
            throw new ModernBertException("--stream supports one sequence: drop --num-return-sequences or --stream");
        }
        long start = System.nanoTime();
        Tokenizer tokenizer = null;
        if (Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            tokenizer = HuggingFaceTokenizer.load(folder);
        } else if (prompt != null) {
            throw new ModernBertException(folder + " has no tokenizer.json: give the prompt as --prompt-ids");
        }
        int[] ids = prompt != null ? tokenizer.encodeForGeneration(prompt)
                : promptIds.stream().mapToInt(Integer::intValue).toArray();
        // Fail before the (slower) model load when the request cannot fit the model's positions.
        Generator.requireFits(0, ids.length, config,
                ModernBertDecoderConfig.fromJsonFile(folder.resolve("config.json")).maxPositionEmbeddings());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (CausalLanguageModel lm = ModernBert.loadCausalLM(folder, backend.backend, backend.options())) {
            LOG.info("model {} ready on backend {} in {} ms", folder, lm.backendName(), (System.nanoTime() - start) / 1_000_000);
            Generator generator = new Generator(lm, tokenizer);
            TextStreamer streamer = null;
            if (stream && tokenizer != null) {
                if (prompt != null) {
                    out.print(prompt);
                    out.flush();
                }
                streamer = new TextStreamer(tokenizer, (seq, text, end) -> {
                    out.print(text);
                    if (end) {
                        out.println();
                    }
                    out.flush();
                });
            }
            GenerationResult result = generator.generate(List.of(ids), config, streamer, null);
            if (json) {
                printJson(out, result, tokenizer);
            } else if (!stream || tokenizer == null) {
                printText(out, result, tokenizer);
            }
            out.flush();
            err.printf(Locale.ROOT, "prompt: %d tokens, %s tokens/s; generated: %d tokens, %s tokens/s; finish: %s%n",
                    result.promptTokens(), rate(result.promptTokensPerSecond()), result.generatedTokens(),
                    rate(result.generatedTokensPerSecond()), finishReasons(result));
            err.flush();
        }
        return 0;
    }

    private GenerationConfig config(GenerationConfig defaults) {
        GenerationConfig.Builder b = defaults.toBuilder();
        if (greedy) {
            // greedy() also resets the sampling knobs of generation_config.json, which --greedy makes moot
            // (they would only draw a "ignored by greedy" warning); flags given with it still apply below.
            b.greedy();
        }
        if (sample) {
            b.doSample(true);
        }
        if (maxNewTokens != null) {
            b.maxNewTokens(maxNewTokens);
        }
        if (maxLength != null) {
            b.maxLength(maxLength);
            if (maxNewTokens == null) {
                b.maxNewTokens(null); // an explicit max_length replaces the model's max_new_tokens default
            }
        }
        if (minNewTokens != null) {
            b.minNewTokens(minNewTokens);
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (minP != null) {
            b.minP(minP);
        }
        if (typicalP != null) {
            b.typicalP(typicalP);
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        if (noRepeatNgramSize != null) {
            b.noRepeatNgramSize(noRepeatNgramSize);
        }
        if (numReturnSequences != null) {
            b.numReturnSequences(numReturnSequences);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (stop != null) {
            b.stopStrings(stop);
        }
        if (maxTime != null) {
            b.maxTime(maxTime);
        }
        if (eosTokenIds != null) {
            b.eosTokenIds(eosTokenIds);
        }
        if (padTokenId != null) {
            b.padTokenId(padTokenId);
        }
        if (ignoreEos) {
            b.eosTokenIds(List.of());
        }
        return b.build();
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

    private static String finishReasons(GenerationResult result) {
        List<String> r = new ArrayList<>();
        for (GeneratedSequence s : result.sequences()) {
            r.add(s.finishReason().jsonName());
        }
        return String.join(",", r);
    }

    private void printText(PrintWriter out, GenerationResult result, Tokenizer tokenizer) {
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

    private void printJson(PrintWriter out, GenerationResult result, Tokenizer tokenizer) {
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
            // NaN (no decode step, e.g. one new token) is null: JSON has no NaN.
            putRate(o, "prompt_tokens_per_second", result.promptTokensPerSecond());
            putRate(o, "generated_tokens_per_second", result.generatedTokensPerSecond());
        }
        try {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all.size() == 1 ? all.get(0) : all));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
