package org.modernbert.core.tokenizer;

import org.modernbert.api.ModernBertException;

/**
 * Truncation as HF {@code truncate_encodings}: {@code maxLength} counts the special tokens the
 * post-processor adds; {@code LONGEST_FIRST} removes one token at a time from the longer sequence.
 */
public record Truncation(int maxLength, Strategy strategy, Direction direction) {
    public enum Strategy { LONGEST_FIRST, ONLY_FIRST, ONLY_SECOND }

    public enum Direction { RIGHT, LEFT }

    public Truncation {
        if (maxLength < 0) {
            throw new ModernBertException("truncation max_length must be >= 0, got " + maxLength);
        }
        if (strategy == null || direction == null) {
            throw new ModernBertException("truncation strategy and direction must be given");
        }
    }

    public static Truncation longestFirst(int maxLength) {
        return new Truncation(maxLength, Strategy.LONGEST_FIRST, Direction.RIGHT);
    }

    /** Truncates in place of the given sequences; {@code budget} is max_length less the added special tokens. */
    Sequence[] apply(Sequence first, Sequence second, int budget) {
        int total = first.length() + (second == null ? 0 : second.length());
        if (total <= budget) {
            return new Sequence[]{first, second};
        }
        int toRemove = total - budget;
        switch (strategy) {
            case LONGEST_FIRST -> {
                if (second == null) {
                    return new Sequence[]{cut(first, first.length() - toRemove), null};
                }
                int nFirst = first.length();
                int nSecond = second.length();
                for (int i = 0; i < toRemove; i++) {
                    if (nFirst > nSecond) {
                        nFirst--;
                    } else {
                        nSecond--;
                    }
                }
                return new Sequence[]{cut(first, nFirst), cut(second, nSecond)};
            }
            case ONLY_FIRST, ONLY_SECOND -> {
                Sequence target = strategy == Strategy.ONLY_FIRST || second == null ? first : second;
                if (target.length() <= toRemove) {
                    throw new ModernBertException("truncation to max_length " + maxLength + " with strategy " + strategy
                            + ": the sequence to truncate has only " + target.length() + " tokens but " + toRemove + " must go");
                }
                Sequence cut = cut(target, target.length() - toRemove);
                return target == first ? new Sequence[]{cut, second} : new Sequence[]{first, cut};
            }
            default -> throw new IllegalStateException();
        }
    }

    private Sequence cut(Sequence s, int keep) {
        return direction == Direction.RIGHT ? s.truncate(keep) : s.truncateLeft(keep);
    }
}
