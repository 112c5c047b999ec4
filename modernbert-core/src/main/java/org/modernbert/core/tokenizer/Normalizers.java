package org.modernbert.core.tokenizer;

import java.util.List;

/** The normalizers of {@code tokenizer.json}; each keeps the alignment to the original text. */
final class Normalizers {
    private Normalizers() {
    }

    interface Normalizer {
        NormalizedString normalize(NormalizedString s);
    }

    /** NFC, NFD, NFKC or NFKD. */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public NormalizedString normalize(NormalizedString s) {
            String text = s.text();
            if (java.text.Normalizer.isNormalized(text, form)) {
                return s;
            }
            // Normalize chunk by chunk (a chunk is a code point and the marks after it) so every output
            // char maps to the original chars it came from; fall back to one chunk if composition crosses chunks.
            String whole = java.text.Normalizer.normalize(text, form);
            NormalizedString.Builder out = new NormalizedString.Builder(whole.length());
            int i = 0;
            while (i < text.length()) {
                int j = i + Chars.charCount(text, i);
                while (j < text.length() && Chars.isMark(Chars.codePointAt(text, j))) {
                    j += Chars.charCount(text, j);
                }
                String chunk = java.text.Normalizer.normalize(text.substring(i, j), form);
                int start = s.originalStart(i);
                int end = s.originalEnd(j - 1);
                out.append(chunk, start, end);
                i = j;
            }
            NormalizedString result = out.build();
            if (result.text().equals(whole)) {
                return result;
            }
            NormalizedString.Builder coarse = new NormalizedString.Builder(whole.length());
            coarse.append(whole, s.rangeStart(0, text.length()), s.rangeEnd(0, text.length()));
            return coarse.build();
        }
    }

    /** Lower-cases each char on its own, like Rust's {@code char::to_lowercase}. */
    record Lowercase() implements Normalizer {
        @Override
        public NormalizedString normalize(NormalizedString s) {
            String text = s.text();
            boolean changes = false;
            for (int i = 0; i < text.length() && !changes; i++) {
                char c = text.charAt(i);
                changes = Character.toLowerCase(c) != c || c == '\u0130' || Character.isSurrogate(c);
            }
            if (!changes) {
                return s;
            }
            NormalizedString.Builder out = new NormalizedString.Builder(text.length());
            for (int i = 0; i < text.length(); ) {
                int n = Chars.charCount(text, i);
                int cp = Chars.codePointAt(text, i);
                int start = s.originalStart(i);
                int end = s.originalEnd(i + n - 1);
                if (cp == 0x130) {
                    // the one unconditional multi-char lower-case mapping (SpecialCasing.txt)
                    out.append("i\u0307", start, end);
                } else {
                    out.appendCodePoint(Character.toLowerCase(cp), start, end);
                }
                i += n;
            }
            return out.build();
        }
    }

    /** Strips Unicode whitespace at the left and/or right. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public NormalizedString normalize(NormalizedString s) {
            String text = s.text();
            int from = 0;
            int to = text.length();
            if (left) {
                while (from < to && Chars.isWhitespace(Chars.codePointAt(text, from))) {
                    from += Chars.charCount(text, from);
                }
            }
            if (right) {
                while (to > from) {
                    int k = to - 1;
                    if (k > from && Character.isLowSurrogate(text.charAt(k)) && Character.isHighSurrogate(text.charAt(k - 1))) {
                        k--;
                    }
                    if (!Chars.isWhitespace(Chars.codePointAt(text, k))) {
                        break;
                    }
                    to = k;
                }
            }
            return s.slice(from, to);
        }
    }

    /** Removes combining marks (general category M). */
    record StripAccents() implements Normalizer {
        @Override
        public NormalizedString normalize(NormalizedString s) {
            String text = s.text();
            NormalizedString.Builder out = new NormalizedString.Builder(text.length());
            boolean removed = false;
            for (int i = 0; i < text.length(); ) {
                int n = Chars.charCount(text, i);
                if (Chars.isMark(Chars.codePointAt(text, i))) {
                    removed = true;
                } else {
                    for (int k = 0; k < n; k++) {
                        out.append(text.charAt(i + k), s.originalStart(i + k), s.originalEnd(i + k));
                    }
                }
                i += n;
            }
            return removed ? out.build() : s;
        }
    }

    /** Replaces every match of a literal or regex pattern; the replacement maps to the matched range. */
    record Replace(Patterns.Pattern pattern, String content) implements Normalizer {
        @Override
        public NormalizedString normalize(NormalizedString s) {
            String text = s.text();
            int[] matches = pattern.findAll(text);
            if (matches.length == 0) {
                return s;
            }
            NormalizedString.Builder out = new NormalizedString.Builder(text.length());
            int prev = 0;
            for (int m = 0; m < matches.length; m += 2) {
                int start = matches[m];
                int end = matches[m + 1];
                for (int i = prev; i < start; i++) {
                    out.append(text.charAt(i), s.originalStart(i), s.originalEnd(i));
                }
                out.append(content, s.rangeStart(start, end), s.rangeEnd(start, end));
                prev = end;
            }
            for (int i = prev; i < text.length(); i++) {
                out.append(text.charAt(i), s.originalStart(i), s.originalEnd(i));
            }
            return out.build();
        }
    }

    /** Prepends a string to non-empty text; the new chars map to the first char's range. */
    record Prepend(String prepend) implements Normalizer {
        @Override
        public NormalizedString normalize(NormalizedString s) {
            if (s.isEmpty()) {
                return s;
            }
            String text = s.text();
            NormalizedString.Builder out = new NormalizedString.Builder(text.length() + prepend.length());
            out.append(prepend, s.originalStart(0), s.originalEnd(0));
            for (int i = 0; i < text.length(); i++) {
                out.append(text.charAt(i), s.originalStart(i), s.originalEnd(i));
            }
            return out.build();
        }
    }

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public NormalizedString normalize(NormalizedString s) {
            for (Normalizer n : normalizers) {
                s = n.normalize(s);
            }
            return s;
        }
    }
}
