package org.modernbert.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.sampling.FrequencyPenalty;
import org.modernbert.core.sampling.LogitsProcessor;
import org.modernbert.core.sampling.PresencePenalty;

import java.util.ArrayList;
import java.util.List;

/**
 * A POST /v1/completions body, checked field by field (OpenAI's fields plus vLLM's {@code top_k},
 * {@code min_p}, {@code repetition_penalty}); unknown fields are ignored, as OpenAI's clients send
 * some this server has no use for.
 */
record CompletionRequest(List<Prompt> prompts, int maxTokens, double temperature, Double topP, Integer topK, Double minP,
                         Double repetitionPenalty, int n, List<String> stop, Long seed, boolean stream,
                         boolean includeUsage, Integer logprobs, boolean echo, double presencePenalty,
                         double frequencyPenalty, boolean ignoreEos, Integer minTokens) {
    static final int DEFAULT_MAX_TOKENS = 16;

    /** One prompt: its token ids and its text (given, or the decoded ids). */
    record Prompt(String text, int[] ids) {
    }

    static CompletionRequest parse(ObjectNode body, Tokenizer tokenizer, int vocab, int maxPositions) {
        List<Prompt> prompts = prompts(body.get("prompt"), tokenizer, vocab);
        int maxTokens = orElse(Fields.optInt(body, "max_tokens", 1, maxPositions), DEFAULT_MAX_TOKENS);
        double temperature = orElse(Fields.optDouble(body, "temperature", 0, false, 100), 1.0);
        Double topP = Fields.optDouble(body, "top_p", 0, true, 1);
        Integer topK = Fields.optInt(body, "top_k", -1, Integer.MAX_VALUE);
        Double minP = Fields.optDouble(body, "min_p", 0, false, 1);
        Double repetition = Fields.optDouble(body, "repetition_penalty", 0, true, 100);
        int n = orElse(Fields.optInt(body, "n", 1, 128), 1);
        List<String> stop = Fields.optStrings(body, "stop", false);
        Long seed = Fields.optLong(body, "seed");
        boolean stream = Fields.optBool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!(streamOptions instanceof ObjectNode so)) {
                throw ApiError.invalid("stream_options", "stream_options must be an object, got " + Fields.shown(streamOptions));
            }
            includeUsage = Fields.optBool(so, "include_usage", false);
        }
        Integer logprobs = Fields.optInt(body, "logprobs", 0, 5);
        boolean echo = Fields.optBool(body, "echo", false);
        if (echo && logprobs != null) {
            throw ApiError.invalid("logprobs", "logprobs together with echo is not supported (it would need the prompt's logprobs)");
        }
        double presence = orElse(Fields.optDouble(body, "presence_penalty", -2, false, 2), 0.0);
        double frequency = orElse(Fields.optDouble(body, "frequency_penalty", -2, false, 2), 0.0);
        boolean ignoreEos = Fields.optBool(body, "ignore_eos", false); // vLLM's extras: fixed-length answers for benchmarks
        Integer minTokens = Fields.optInt(body, "min_tokens", 0, maxPositions);
        if (temperature == 0 && n > 1) {
            throw ApiError.invalid("n", "n " + n + " needs sampling (temperature > 0): greedy decoding gives the same text every time");
        }
        if (stop != null && stop.size() > 16) {
            throw ApiError.invalid("stop", "stop takes at most 16 strings, got " + stop.size());
        }
        for (int p = 0; p < prompts.size(); p++) {
            int length = prompts.get(p).ids().length;
            if (length >= maxPositions) {
                throw new ApiError(413, "invalid_request_error", "prompt", "context_length_exceeded",
                        (prompts.size() == 1 ? "the prompt has " : "prompt " + p + " has ") + length
                                + " tokens; the model has " + maxPositions + " positions, which leaves no room for a completion");
            }
            if (length + maxTokens > maxPositions) {
                throw ApiError.invalid("max_tokens", "max_tokens " + maxTokens + " plus the prompt's " + length + " tokens exceed the model's "
                        + maxPositions + " positions: lower max_tokens to at most " + (maxPositions - length));
            }
        }
        return new CompletionRequest(prompts, maxTokens, temperature, topP, topK, minP, repetition, n, stop, seed, stream,
                includeUsage, logprobs, echo, presence, frequency, ignoreEos, minTokens);
    }

    private static List<Prompt> prompts(JsonNode v, Tokenizer tokenizer, int vocab) {
        String expected = "prompt must be a string, a list of strings, a list of token ids or a list of lists of token ids";
        if (v == null || v.isNull()) {
            throw ApiError.invalid("prompt", "the field prompt is required: " + expected.substring("prompt must be ".length()));
        }
        List<Prompt> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(text(v.textValue(), tokenizer));
            return out;
        }
        if (!v.isArray() || v.isEmpty()) {
            throw ApiError.invalid("prompt", expected + ", got " + Fields.shown(v));
        }
        JsonNode first = v.get(0);
        if (first.isIntegralNumber()) {
            out.add(ids(v, tokenizer, vocab));
            return out;
        }
        if (v.size() > 1024) {
            throw ApiError.invalid("prompt", "prompt takes at most 1024 prompts, got " + v.size());
        }
        for (JsonNode e : v) {
            if (first.isTextual() && e.isTextual()) {
                out.add(text(e.textValue(), tokenizer));
            } else if (first.isArray() && e.isArray()) {
                out.add(ids(e, tokenizer, vocab));
            } else {
                throw ApiError.invalid("prompt", expected + ", got a list holding " + Fields.shown(e));
            }
        }
        return out;
    }

    private static Prompt text(String text, Tokenizer tokenizer) {
        return new Prompt(text, tokenizer.encodeForGeneration(text)); // [CLS] + ids, as ./modernbert generate
    }

    private static Prompt ids(JsonNode list, Tokenizer tokenizer, int vocab) {
        int[] ids = Fields.tokenIds(list, "prompt", vocab);
        if (ids.length == 0) {
            throw ApiError.invalid("prompt", "a prompt of token ids must hold at least one id");
        }
        return new Prompt(tokenizer.decode(ids, true), ids);
    }

    private static <T> T orElse(T value, T fallback) {
        return value == null ? fallback : value;
    }

    /** The model's generation defaults with this request's settings: greedy at temperature 0, else sampling. */
    GenerationConfig config(GenerationConfig defaults) {
        GenerationConfig.Builder b = defaults.toBuilder().maxNewTokens(maxTokens).maxLength(null);
        if (temperature == 0) {
            b.greedy();
        } else {
            b.doSample(true).temperature(temperature).numReturnSequences(n);
            if (topP != null) {
                b.topP(topP);
            }
            if (topK != null) {
                b.topK(topK < 0 ? 0 : topK); // vLLM's -1 and transformers' 0 both mean no top-k
            }
            if (minP != null) {
                b.minP(minP == 0 ? null : minP);
            }
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        if (stop != null) {
            b.stopStrings(stop);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (ignoreEos) {
            b.eosTokenIds(List.of());
        }
        if (minTokens != null) {
            b.minNewTokens(minTokens);
        }
        try {
            return b.build();
        } catch (ModernBertException e) {
            throw ApiError.invalid(null, ModernBertServer.oneLine(e.getMessage()));
        }
    }

    /** OpenAI's penalties, applied before transformers' processors; new instances per request (they keep scratch arrays). */
    List<LogitsProcessor> extraProcessors() {
        List<LogitsProcessor> out = new ArrayList<>(2);
        if (presencePenalty != 0) {
            out.add(new PresencePenalty(presencePenalty));
        }
        if (frequencyPenalty != 0) {
            out.add(new FrequencyPenalty(frequencyPenalty));
        }
        return out;
    }

    List<int[]> promptIds() {
        return prompts.stream().map(Prompt::ids).toList();
    }
}
