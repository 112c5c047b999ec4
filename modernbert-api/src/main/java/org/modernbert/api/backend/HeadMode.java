package org.modernbert.api.backend;

/** Where a step applies the model's head (LM logits or classifier logits). */
public enum HeadMode {
    /** No head: only hidden states or cache updates are wanted. */
    NONE,
    /** Only the last new position of each sequence (generation, classification pooling). */
    LAST,
    /** Every new position (full forward with logits, loss). */
    ALL
}
