package org.modernbert.backend.tornado.kernel;

/**
 * The layout of a step's metadata, which travels to the device in small IntArrays every execution
 * (scalars are fixed when a task graph is built, so anything that changes per step lives here).
 */
public final class Step {
    /**
     * {@code counts}: tokens of the step, sequences, head rows; then a cache copy (a fork) that every
     * layer applies before its step: slots to copy in the full-attention region and in the sliding
     * one, and each one's source and destination slot.
     */
    public static final int TOKENS = 0;
    public static final int SEQUENCES = 1;
    public static final int HEAD_ROWS = 2;
    public static final int COPY_FULL = 3;
    public static final int COPY_SLIDE = 4;
    public static final int FULL_FROM = 5;
    public static final int FULL_TO = 6;
    public static final int SLIDE_FROM = 7;
    public static final int SLIDE_TO = 8;
    public static final int COUNTS = 9;

    /** {@code tokens[t * TOKEN_FIELDS + ...]}: token id (-1: its row came as inputs_embeds), sequence, RoPE position, cache position. */
    public static final int TOKEN_FIELDS = 4;
    public static final int ID = 0;
    public static final int SEQ = 1;
    public static final int POSITION = 2;
    public static final int SLOT = 3;

    /**
     * {@code seqs[s * SEQ_FIELDS + ...]}: positions cached before the step, first token's index in the
     * step, new tokens, its first slot among the full-attention slots of a layer, its first slot among
     * the sliding ones, its ring length there, where its attention probabilities go (-1: not asked for).
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
