package org.modernbert.core.pipeline;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.ModernBert;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;
import org.modernbert.core.generation.GeneratedSequence;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.GenerationControl;
import org.modernbert.core.generation.GenerationResult;
import org.modernbert.core.generation.Generator;
import org.modernbert.core.generation.TextIterator;
import org.modernbert.core.generation.TextPublisher;
import org.modernbert.core.generation.TokenStreamer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code pipeline("text-generation")}: text in, text out. A prompt is encoded as
 * {@code [CLS]} plus its ids (no trailing {@code [SEP]}, which is the eos), generated with the
 * model's {@code generation_config.json} defaults overridden per call, and decoded with special
 * tokens skipped. As in transformers, the continuation is the decoded full sequence minus the
 * decoded prompt, and {@code return_full_text} (default true) puts the prompt text in front.
 * Thread-safe: requests from several threads interleave step by step ({@link Generator} serializes
 * the executor calls), so a stream whose consumer stops reading holds up only its own request. Close
 * the pipeline to free the model.
 */
public final class TextGenerationPipeline implements AutoCloseable {
    private final CausalLanguageModel model;
    private final Tokenizer tokenizer;
    private final GenerationConfig defaults;
    private final Generator generator;

    public TextGenerationPipeline(CausalLanguageModel model, Tokenizer tokenizer, GenerationConfig defaults) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
        this.generator = new Generator(model, tokenizer);
    }

    /**
     * {@code pipeline("text-generation", model=folder)}: the causal LM on the named backend (null: the
     * default choice), the folder's {@code tokenizer.json} and its generation defaults.
     */
    public static TextGenerationPipeline open(Path folder, String backend) {
        return open(folder, backend, BackendOptions.defaults());
    }

    /** The same with backend options (threads, device, quantization). */
    public static TextGenerationPipeline open(Path folder, String backend, BackendOptions options) {
        GenerationConfig defaults = GenerationConfig.fromModelFolder(folder);
        Tokenizer tokenizer = HuggingFaceTokenizer.load(folder);
        return new TextGenerationPipeline(ModernBert.loadCausalLM(folder, backend, options), tokenizer, defaults);
    }

    public CausalLanguageModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The model's generation defaults; override with {@code defaults().toBuilder()...build()}. */
    public GenerationConfig defaults() {
        return defaults;
    }

    /** The prompt's ids as generation sees them. */
    public int[] encode(String prompt) {
        return tokenizer.encodeForGeneration(prompt);
    }

    /** With the model's defaults and {@code return_full_text} true. */
    public List<GeneratedText> generate(String prompt) {
        return generate(prompt, defaults, true);
    }

    public List<GeneratedText> generate(String prompt, GenerationConfig config, boolean returnFullText) {
        return generate(List.of(prompt), config, returnFullText).getFirst();
    }

    /** All prompts generate together; one list of {@code num_return_sequences} outputs per prompt. */
    public List<List<GeneratedText>> generate(List<String> prompts, GenerationConfig config, boolean returnFullText) {
        return generate(prompts, null, config, returnFullText);
    }

    /**
     * The same with a seed per prompt ({@code seeds[p]} null-free, one per prompt): each prompt samples
     * as it would alone with that seed (see {@link Generator#generate(List, long[], GenerationConfig,
     * TokenStreamer, GenerationControl)}); null seeds use {@code config.seed()}.
     */
    public List<List<GeneratedText>> generate(List<String> prompts, long[] seeds, GenerationConfig config, boolean returnFullText) {
        List<int[]> ids = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            ids.add(encode(p));
        }
        GenerationResult result = generator.generate(ids, seeds, config, null, null);
        List<List<GeneratedText>> out = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            out.add(new ArrayList<>());
        }
        for (GeneratedSequence s : result.sequences()) {
            String promptText = prompts.get(s.promptIndex());
            String continuation = continuation(s);
            out.get(s.promptIndex()).add(new GeneratedText(returnFullText ? promptText + continuation : continuation, s));
        }
        return out;
    }

    /** transformers' slicing: decode(prompt + new) with the decoded prompt's length cut off. */
    public String continuation(GeneratedSequence s) {
        String full = tokenizer.decode(s.allIds(), true);
        int promptLength = tokenizer.decode(s.promptIds(), true).length();
        return promptLength <= full.length() ? full.substring(promptLength) : "";
    }

    /** Generation on token ids, with an optional streamer and cancellation handle. */
    public GenerationResult generateIds(List<int[]> prompts, GenerationConfig config, TokenStreamer streamer,
                                        GenerationControl control) {
        return generator.generate(prompts, config, streamer, control);
    }

    /** The continuation as a blocking iterator of text pieces, flushed on word boundaries. */
    public TextIterator stream(String prompt, GenerationConfig config) {
        int[] ids = encode(prompt);
        checkSingle(config);
        return new TextIterator(tokenizer, (streamer, control) -> generateIds(List.of(ids), config, streamer, control));
    }

    /** The continuation as a {@link java.util.concurrent.Flow.Publisher} of text pieces. */
    public TextPublisher publisher(String prompt, GenerationConfig config) {
        int[] ids = encode(prompt);
        checkSingle(config);
        return new TextPublisher(tokenizer, (streamer, control) -> generateIds(List.of(ids), config, streamer, control));
    }

    private static void checkSingle(GenerationConfig config) {
        if (config.numReturnSequences() != 1) {
            throw new ModernBertException("streaming supports num_return_sequences 1 only, got " + config.numReturnSequences());
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
