package org.modernbert.backend.tornado.kernel;

/**
 * The layout of a step's metadata, which travels to the device in small IntArrays every execution
 * (scalars are fixed when a task graph is built, so anything that changes per step lives here).
 */
public final class Step {
    /** {@code counts}: tokens of the step, sequences, head rows. */
    public static final int TOKENS = 0;
    public static final int SEQUENCES = 1;
    public static final int HEAD_ROWS = 2;
    public static final int COUNTS = 4;

    /** {@code tokens[t * TOKEN_FIELDS + ...]}: token id (-1: its row came as inputs_embeds), sequence, RoPE position, cache position. */
    public static final int TOKEN_FIELDS = 4;
    public static final int ID = 0;
    public static final int SEQ = 1;
    public static final int POSITION = 2;
    public static final int SLOT = 3;

    /**
     * {@code seqs[s * SEQ_FIELDS + ...]}: positions cached before the step, first token's index in the
     * step, new tokens, first slot in the full-attention pool, first slot in the sliding pool, ring
     * length of the sliding pool, where its attention probabilities go (-1: not asked for).
     */
    public static final int SEQ_FIELDS = 8;
    public static final int PAST = 0;
    public static final int OFFSET = 1;
    public static final int LENGTH = 2;
    public static final int FULL_BASE = 3;
    public static final int SLIDE_BASE = 4;
    public static final int RING = 5;
    public static final int PROBS = 6;

    private Step() {
    }
}
