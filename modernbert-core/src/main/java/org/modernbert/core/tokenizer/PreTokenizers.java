package org.modernbert.core.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** The pre-tokenizers of {@code tokenizer.json}: they cut (and ByteLevel/Metaspace transform) the text. */
final class PreTokenizers {
    private PreTokenizers() {
    }

    interface PreTokenizer {
        /** Appends the non-empty pieces of {@code s} to {@code out}. */
        void split(NormalizedString s, List<NormalizedString> out);
    }

    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** HF {@code NormalizedString::split}: cuts at the matches according to the behaviour. */
    static void splitByMatches(NormalizedString s, int[] matches, boolean invert, Behavior behavior, List<NormalizedString> out) {
        int len = s.length();
        // Intervals covering the whole text, each flagged as match or gap.
        IntList bounds = new IntList(matches.length + 4);
        List<Boolean> isMatch = new ArrayList<>();
        int prev = 0;
        for (int m = 0; m < matches.length; m += 2) {
            if (matches[m] > prev) {
                bounds.add(prev);
                bounds.add(matches[m]);
                isMatch.add(invert);
            }
            bounds.add(matches[m]);
            bounds.add(matches[m + 1]);
            isMatch.add(!invert);
            prev = matches[m + 1];
        }
        if (prev < len) {
            bounds.add(prev);
            bounds.add(len);
            isMatch.add(invert);
        }
        IntList pieces = new IntList(bounds.size());
        List<Boolean> removed = new ArrayList<>();
        int n = isMatch.size();
        switch (behavior) {
            case ISOLATED -> {
                for (int k = 0; k < n; k++) {
                    pieces.add(bounds.get(2 * k));
                    pieces.add(bounds.get(2 * k + 1));
                    removed.add(false);
                }
            }
            case REMOVED -> {
                for (int k = 0; k < n; k++) {
                    pieces.add(bounds.get(2 * k));
                    pieces.add(bounds.get(2 * k + 1));
                    removed.add(isMatch.get(k));
                }
            }
            case CONTIGUOUS -> {
                boolean previousMatch = false;
                for (int k = 0; k < n; k++) {
                    boolean match = isMatch.get(k);
                    if (match == previousMatch && pieces.size() > 0) {
                        pieces.set(pieces.size() - 1, bounds.get(2 * k + 1));
                    } else {
                        pieces.add(bounds.get(2 * k));
                        pieces.add(bounds.get(2 * k + 1));
                        removed.add(false);
                    }
                    previousMatch = match;
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (int k = 0; k < n; k++) {
                    boolean match = isMatch.get(k);
                    if (match && !previousMatch && pieces.size() > 0) {
                        pieces.set(pieces.size() - 1, bounds.get(2 * k + 1));
                    } else {
                        pieces.add(bounds.get(2 * k));
                        pieces.add(bounds.get(2 * k + 1));
                        removed.add(false);
                    }
                    previousMatch = match;
                }
            }
            case MERGED_WITH_NEXT -> {
                // Walk backwards: a match joins the piece after it.
                IntList reversed = new IntList(bounds.size());
                boolean previousMatch = false;
                for (int k = n - 1; k >= 0; k--) {
                    boolean match = isMatch.get(k);
                    if (match && !previousMatch && reversed.size() > 0) {
                        reversed.set(reversed.size() - 2, bounds.get(2 * k));
                    } else {
                        reversed.add(bounds.get(2 * k));
                        reversed.add(bounds.get(2 * k + 1));
                    }
                    previousMatch = match;
                }
                for (int k = reversed.size() - 2; k >= 0; k -= 2) {
                    pieces.add(reversed.get(k));
                    pieces.add(reversed.get(k + 1));
                    removed.add(false);
                }
            }
        }
        for (int k = 0; k < removed.size(); k++) {
            int from = pieces.get(2 * k);
            int to = pieces.get(2 * k + 1);
            if (!removed.get(k) && to > from) {
                out.add(s.slice(from, to));
            }
        }
    }

    /** GPT-2 byte-level: optional prefix space, the GPT-2 regex, then bytes mapped to printable chars. */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        static final java.util.regex.Pattern GPT2 = java.util.regex.Pattern.compile(
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            if (addPrefixSpace && !s.text().startsWith(" ")) {
                s = new Normalizers.Prepend(" ").normalize(s);
            }
            if (!useRegex) {
                if (!s.isEmpty()) {
                    out.add(toBytes(s));
                }
                return;
            }
            java.util.regex.Matcher m = GPT2.matcher(s.text());
            while (m.find()) {
                if (m.end() > m.start()) {
                    out.add(toBytes(s.slice(m.start(), m.end())));
                }
            }
        }

        /** Each char becomes the alphabet chars of its UTF-8 bytes, all aligned to that char. */
        static NormalizedString toBytes(NormalizedString s) {
            String text = s.text();
            boolean ascii = true;
            for (int i = 0; i < text.length() && ascii; i++) {
                ascii = text.charAt(i) < 128;
            }
            if (ascii && s.isIdentity()) {
                char[] mapped = new char[text.length()];
                for (int i = 0; i < mapped.length; i++) {
                    mapped[i] = ByteLevelAlphabet.BYTE_TO_CHAR[text.charAt(i)];
                }
                return NormalizedString.identity(new String(mapped), s.base());
            }
            NormalizedString.Builder out = new NormalizedString.Builder(text.length() * 2);
            byte[] buf = new byte[4];
            for (int i = 0; i < text.length(); ) {
                int n = Chars.charCount(text, i);
                int len = ByteLevelAlphabet.utf8(Chars.codePointAt(text, i), buf, 0);
                int start = s.originalStart(i);
                int end = s.originalEnd(i + n - 1);
                for (int b = 0; b < len; b++) {
                    out.append(ByteLevelAlphabet.BYTE_TO_CHAR[buf[b] & 0xFF], start, end);
                }
                i += n;
            }
            return out.build();
        }
    }

    record Split(Patterns.Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            splitByMatches(s, pattern.findAll(s.text()), invert, behavior, out);
        }
    }

    /** {@code \w+|[^\w\s]+}: words and runs of other non-space chars; whitespace is dropped. */
    record Whitespace() implements PreTokenizer {
        private static final Patterns.Regex WORDS = Patterns.Regex.compile("\\w+|[^\\w\\s]+");

        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            splitByMatches(s, WORDS.findAll(s.text()), true, Behavior.REMOVED, out);
        }
    }

    record WhitespaceSplit() implements PreTokenizer {
        private static final Patterns.CharClass SPACE = new Patterns.CharClass(Chars::isWhitespace);

        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            splitByMatches(s, SPACE.findAll(s.text()), false, Behavior.REMOVED, out);
        }
    }

    record Digits(boolean individualDigits) implements PreTokenizer {
        private static final Patterns.CharClass DIGIT = new Patterns.CharClass(Chars::isNumeric);

        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            splitByMatches(s, DIGIT.findAll(s.text()), false, individualDigits ? Behavior.ISOLATED : Behavior.CONTIGUOUS, out);
        }
    }

    record Punctuation(Behavior behavior) implements PreTokenizer {
        private static final Patterns.CharClass PUNCT = new Patterns.CharClass(Chars::isPunctuation);

        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            splitByMatches(s, PUNCT.findAll(s.text()), false, behavior, out);
        }
    }

    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /** Spaces become the replacement char (U+2581), which is prepended and split on (merged with next). */
    record Metaspace(char replacement, PrependScheme prependScheme, boolean split) implements PreTokenizer {
        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            String r = String.valueOf(replacement);
            s = new Normalizers.Replace(new Patterns.Literal(" "), r).normalize(s);
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> true;
                case FIRST -> s.isEmpty() || s.originalStart(0) == 0;
                case NEVER -> false;
            };
            if (prepend && !s.text().startsWith(r)) {
                s = new Normalizers.Prepend(r).normalize(s);
            }
            if (split) {
                splitByMatches(s, new Patterns.Literal(r).findAll(s.text()), false, Behavior.MERGED_WITH_NEXT, out);
            } else if (!s.isEmpty()) {
                out.add(s);
            }
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void split(NormalizedString s, List<NormalizedString> out) {
            List<NormalizedString> current = new ArrayList<>();
            current.add(s);
            for (PreTokenizer step : steps) {
                List<NormalizedString> next = new ArrayList<>();
                for (NormalizedString piece : current) {
                    step.split(piece, next);
                }
                current = next;
            }
            out.addAll(current);
        }
    }
}
