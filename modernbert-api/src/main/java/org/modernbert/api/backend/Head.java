package org.modernbert.api.backend;

/**
 * What a step returns from the model's head (LM or classifier) for one sequence. The cheap modes
 * exist so that a device backend copies back one int or k pairs per token, not the whole vocabulary.
 */
public sealed interface Head {
    /** No head: hidden states or cache updates only. */
    record None() implements Head {
    }

    /** Logits of the last new position ({@code [outputs]}). */
    record Last() implements Head {
    }

    /** Logits of every new position ({@code [newTokens * outputs]}, row-major). */
    record All() implements Head {
    }

    /** The index of the largest logit of the last new position (the lowest index on ties). */
    record Argmax() implements Head {
    }

    /** The {@code k} largest logits of the last new position with their indices, largest first (lower index first on ties). */
    record TopK(int k) implements Head {
        public TopK {
            if (k < 1) {
                throw new IllegalArgumentException("top-k needs k >= 1, got " + k);
            }
        }
    }

    Head NONE = new None();
    Head LAST = new Last();
    Head ALL = new All();
    Head ARGMAX = new Argmax();

    static Head topK(int k) {
        return new TopK(k);
    }
}
