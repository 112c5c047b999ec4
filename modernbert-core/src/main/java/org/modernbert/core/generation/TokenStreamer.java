package org.modernbert.core.generation;

/**
 * Receives tokens as they are generated (transformers' {@code BaseStreamer}), on the generating
 * thread. Sequences are numbered as in the result: prompt {@code p}, copy {@code c} is
 * {@code p * num_return_sequences + c}.
 */
public interface TokenStreamer {
    /** A new token of one sequence. */
    void put(int sequence, int tokenId);

    /** The sequence finished; no more tokens follow for it. */
    default void end(int sequence, FinishReason reason) {
    }
}
