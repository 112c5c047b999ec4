package org.modernbert.core.generation;

import java.util.List;

/**
 * The outcome of one generation request.
 *
 * @param sequences       one per prompt and return sequence, prompt-major
 * @param promptTokens    prompt tokens of all sequences together (each copy of a prompt counts)
 * @param prefilledTokens prompt tokens actually computed: a prompt shared by copies, repeated, or a
 *                        prefix shared by several prompts is prefilled once
 * @param generatedTokens new tokens of all sequences
 * @param prefillNanos    time of the prefill step (which also yields each sequence's first token)
 * @param decodeNanos     time of the one-token steps after it
 */
public record GenerationResult(List<GeneratedSequence> sequences, int promptTokens, int prefilledTokens, int generatedTokens,
                               long prefillNanos, long decodeNanos) {
    public GenerationResult {
        sequences = List.copyOf(sequences);
    }

    /** Prompt tokens computed per second during the prefill. */
    public double promptTokensPerSecond() {
        return prefillNanos == 0 ? Double.NaN : prefilledTokens * 1e9 / prefillNanos;
    }

    /**
     * Generated tokens per second of the decode steps: the tokens after each sequence's first (which
     * the prefill yields) over the decode time, as llama.cpp counts its eval rate; NaN without decode steps.
     */
    public double generatedTokensPerSecond() {
        int decoded = generatedTokens - sequences.size();
        return decoded <= 0 || decodeNanos == 0 ? Double.NaN : decoded * 1e9 / decodeNanos;
    }
}
