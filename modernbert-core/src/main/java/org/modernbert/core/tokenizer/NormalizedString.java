package org.modernbert.core.tokenizer;

/**
 * A piece of (normalized) text with, for each UTF-16 char, the range of the original input it came from.
 * When {@code starts} is null the alignment is the identity shifted by {@code base}: no arrays are
 * allocated for text that normalization left untouched (the common case).
 */
final class NormalizedString {
    private final String text;
    private final int base;
    private final int[] starts;
    private final int[] ends;

    private NormalizedString(String text, int base, int[] starts, int[] ends) {
        this.text = text;
        this.base = base;
        this.starts = starts;
        this.ends = ends;
    }

    /** Text whose char i came from original char {@code base + i}. */
    static NormalizedString identity(String text, int base) {
        return new NormalizedString(text, base, null, null);
    }

    static NormalizedString aligned(String text, int[] starts, int[] ends) {
        return new NormalizedString(text, 0, starts, ends);
    }

    String text() {
        return text;
    }

    int length() {
        return text.length();
    }

    boolean isEmpty() {
        return text.isEmpty();
    }

    boolean isIdentity() {
        return starts == null;
    }

    int base() {
        return base;
    }

    int originalStart(int i) {
        return starts == null ? base + i : starts[i];
    }

    int originalEnd(int i) {
        return starts == null ? base + i + 1 : ends[i];
    }

    /** Original range covered by normalized chars {@code [from, to)}. */
    int rangeStart(int from, int to) {
        if (from < to) {
            return originalStart(from);
        }
        return emptyPosition(from);
    }

    int rangeEnd(int from, int to) {
        if (from < to) {
            return originalEnd(to - 1);
        }
        return emptyPosition(from);
    }

    private int emptyPosition(int at) {
        if (at < text.length()) {
            return originalStart(at);
        }
        return text.isEmpty() ? base : originalEnd(text.length() - 1);
    }

    NormalizedString slice(int from, int to) {
        if (from == 0 && to == text.length()) {
            return this;
        }
        String sub = text.substring(from, to);
        if (starts == null) {
            return new NormalizedString(sub, base + from, null, null);
        }
        int[] s = new int[to - from];
        int[] e = new int[to - from];
        System.arraycopy(starts, from, s, 0, s.length);
        System.arraycopy(ends, from, e, 0, e.length);
        return new NormalizedString(sub, 0, s, e);
    }

    /** Builds a transformed string: every appended char carries the original range it stands for. */
    static final class Builder {
        private final StringBuilder text;
        private int[] starts;
        private int[] ends;

        Builder(int capacity) {
            text = new StringBuilder(capacity);
            starts = new int[Math.max(capacity, 4)];
            ends = new int[Math.max(capacity, 4)];
        }

        void append(char c, int start, int end) {
            int n = text.length();
            if (n == starts.length) {
                starts = java.util.Arrays.copyOf(starts, n * 2);
                ends = java.util.Arrays.copyOf(ends, n * 2);
            }
            text.append(c);
            starts[n] = start;
            ends[n] = end;
        }

        void append(CharSequence s, int start, int end) {
            for (int i = 0; i < s.length(); i++) {
                append(s.charAt(i), start, end);
            }
        }

        void appendCodePoint(int cp, int start, int end) {
            if (Character.isBmpCodePoint(cp)) {
                append((char) cp, start, end);
            } else {
                append(Character.highSurrogate(cp), start, end);
                append(Character.lowSurrogate(cp), start, end);
            }
        }

        NormalizedString build() {
            int n = text.length();
            return new NormalizedString(text.toString(), 0, java.util.Arrays.copyOf(starts, n), java.util.Arrays.copyOf(ends, n));
        }
    }
}
