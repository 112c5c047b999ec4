package org.modernbert.core.generation;

/**
 * Receives tokens as they are generated (transformers' {@code BaseStreamer}), on the generating
 * thread. Sequences are numbered as in the result: prompt {@code p}, copy {@code c} is
 * {@code p * num_return_sequences + c}.
 */
public interface TokenStreamer {
    /** A new token of one sequence. */
    void put(int sequence, int tokenId);

    /**
     * A new token with its log-probabilities, when the request asked for them (else {@code logprobs}
     * is null); by default the same as {@link #put(int, int)}.
     */
    default void put(int sequence, int tokenId, TokenLogprobs logprobs) {
        put(sequence, tokenId);
    }

    /** The sequence finished; no more tokens follow for it. */
    default void end(int sequence, FinishReason reason) {
    }
}
