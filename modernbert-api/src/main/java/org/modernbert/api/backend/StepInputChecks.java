package org.modernbert.api.backend;

import org.modernbert.api.ModernBertException;

/**
 * The checks of one {@link SequenceInput} that every executor makes before a step changes any cache,
 * with the contract's messages: token ids inside the vocabulary, inputs_embeds of the hidden width,
 * position ids inside the context, room in the cache, a head output the weights have. Cache ownership stays with each
 * backend (only it knows its cache type).
 */
public final class StepInputChecks {
    private StepInputChecks() {
    }

    /** Token ids in {@code [0, vocab)}, or inputs_embeds rows of {@code hidden} values; {@code cached}: the cache's length. */
    public static void tokens(SequenceInput in, int s, int cached, int vocab, int hidden) {
        if (in.tokenIds() != null) {
            int[] ids = in.tokenIds();
            for (int p = 0; p < ids.length; p++) {
                if (ids[p] < 0 || ids[p] >= vocab) {
                    throw new ModernBertException("sequence " + s + ", new token " + p + " (position " + (cached + p) + "): token id "
                            + ids[p] + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
        } else if (in.inputsEmbeds().cols() != hidden) {
            throw new ModernBertException("sequence " + s + ": inputs_embeds rows have " + in.inputsEmbeds().cols()
                    + " values but hidden_size is " + hidden);
        }
    }

    /** The new tokens fit the cache: its length plus theirs stays within its maximum. */
    public static void room(SequenceInput in, int s, int cached, int maxLength) {
        long end = (long) cached + in.length();
        if (end > maxLength) {
            throw new ModernBertException("sequence " + s + " would reach " + end + " positions but its cache holds at most " + maxLength);
        }
    }

    /** Checks explicit position ids and returns the largest position of the sequence ({@code cached + length - 1} without them). */
    public static int positions(SequenceInput in, int s, int cached, int maxPositions) {
        int[] pos = in.positionIds();
        if (pos == null) {
            return cached + in.length() - 1;
        }
        int max = 0;
        for (int t = 0; t < pos.length; t++) {
            if (pos[t] < 0 || pos[t] >= maxPositions) {
                throw new ModernBertException("sequence " + s + ", new token " + t + ": position id " + pos[t]
                        + " is outside [0, max_position_embeddings = " + maxPositions + ")");
            }
            max = Math.max(max, pos[t]);
        }
        return max;
    }

    /** The head output asked for exists and fits: {@code outputs} is the head's width, or -1 when the weights have no head. */
    public static void head(SequenceInput in, int s, int outputs) {
        Head head = in.head();
        if (head instanceof Head.None) {
            return;
        }
        if (outputs < 0) {
            throw new ModernBertException("sequence " + s + " asks for head output " + head + ", but these weights have no head");
        }
        if (head instanceof Head.TopK(int k) && k > outputs) {
            throw new ModernBertException("sequence " + s + ": top-k of " + k + " exceeds the head's " + outputs + " outputs");
        }
        if (head instanceof Head.All && (long) in.length() * outputs > Integer.MAX_VALUE - 8) {
            throw new ModernBertException("sequence " + s + ": " + in.length() + " positions x " + outputs
                    + " outputs do not fit one float[]; use Head.LAST or shorter steps");
        }
    }
}
