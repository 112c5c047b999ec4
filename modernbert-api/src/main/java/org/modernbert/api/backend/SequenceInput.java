package org.modernbert.api.backend;

import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.FloatMatrix;

import java.util.Objects;

/**
 * The new tokens of one sequence for one {@link ModelExecutor#step}, and what to return for them.
 * The tokens go to cache slots {@code cache.length() ..}; after the step the cache holds them too.
 * Attention is causal over those slots (sliding layers see the last {@code window} of them), as
 * transformers masks by cache position.
 *
 * @param cache            a cache made by the same executor; each sequence of a step needs its own
 * @param tokenIds         the new token ids, or null when {@code inputsEmbeds} is given
 * @param inputsEmbeds     instead of ids: one embedding row per new token ({@code tokens x hidden}),
 *                         taken before the embedding LayerNorm, as transformers' {@code inputs_embeds}
 * @param positionIds      the RoPE position of each new token; null means {@code cache.length() + i}
 * @param head             which head outputs to return
 * @param lastHiddenState  return the final-normed hidden state of every new token
 * @param hiddenStates     return transformers' {@code hidden_states}: the embeddings' output, each
 *                         layer's output, the last one final-normed ({@code layers + 1} entries)
 * @param attentions       return each layer's attention probabilities (a slower path)
 */
public record SequenceInput(KvCache cache, int[] tokenIds, FloatMatrix inputsEmbeds, int[] positionIds, Head head,
                            boolean lastHiddenState, boolean hiddenStates, boolean attentions) {
    public SequenceInput {
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(head, "head");
        if ((tokenIds == null) == (inputsEmbeds == null)) {
            throw new IllegalArgumentException("a sequence input needs either token ids or inputs_embeds, not "
                    + (tokenIds == null ? "neither" : "both"));
        }
        int n = tokenIds != null ? tokenIds.length : inputsEmbeds.rows();
        if (n == 0) {
            throw new IllegalArgumentException("a sequence input needs at least one token");
        }
        if (positionIds != null && positionIds.length != n) {
            throw new IllegalArgumentException("position_ids has " + positionIds.length + " entries for " + n + " tokens");
        }
    }

    /** New token ids, logits of the last position (the usual decode step). */
    public static SequenceInput tokens(KvCache cache, int... tokenIds) {
        return new SequenceInput(cache, tokenIds, null, null, Head.LAST, false, false, false);
    }

    /** Embedding rows instead of ids, logits of the last position. */
    public static SequenceInput embeddings(KvCache cache, FloatMatrix inputsEmbeds) {
        return new SequenceInput(cache, null, inputsEmbeds, null, Head.LAST, false, false, false);
    }

    /** Number of new tokens. */
    public int length() {
        return tokenIds != null ? tokenIds.length : inputsEmbeds.rows();
    }

    public SequenceInput withHead(Head h) {
        return new SequenceInput(cache, tokenIds, inputsEmbeds, positionIds, h, lastHiddenState, hiddenStates, attentions);
    }

    public SequenceInput withPositionIds(int... positions) {
        return new SequenceInput(cache, tokenIds, inputsEmbeds, positions, head, lastHiddenState, hiddenStates, attentions);
    }

    public SequenceInput withLastHiddenState(boolean wanted) {
        return new SequenceInput(cache, tokenIds, inputsEmbeds, positionIds, head, wanted, hiddenStates, attentions);
    }

    public SequenceInput withHiddenStates(boolean wanted) {
        return new SequenceInput(cache, tokenIds, inputsEmbeds, positionIds, head, lastHiddenState, wanted, attentions);
    }

    public SequenceInput withAttentions(boolean wanted) {
        return new SequenceInput(cache, tokenIds, inputsEmbeds, positionIds, head, lastHiddenState, hiddenStates, wanted);
    }
}
