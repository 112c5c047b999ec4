package org.modernbert.core.tokenizer;

import java.util.regex.Matcher;

/** The {@code {"String": ...}} / {@code {"Regex": ...}} patterns of Split and Replace. */
final class Patterns {
    private Patterns() {
    }

    interface Pattern {
        /** Non-empty, non-overlapping matches as {@code [start0, end0, start1, end1, ...]}. */
        int[] findAll(String text);
    }

    record Literal(String literal) implements Pattern {
        @Override
        public int[] findAll(String text) {
            if (literal.isEmpty()) {
                return new int[0];
            }
            IntList out = new IntList(8);
            int from = 0;
            int at;
            while ((at = text.indexOf(literal, from)) >= 0) {
                out.add(at);
                out.add(at + literal.length());
                from = at + literal.length();
            }
            return out.toArray();
        }
    }

    /** A regex; {@code \s}, {@code \w}, {@code \d} have their Unicode meaning as in Oniguruma. */
    record Regex(java.util.regex.Pattern regex) implements Pattern {
        static Regex compile(String source) {
            return new Regex(java.util.regex.Pattern.compile(source, java.util.regex.Pattern.UNICODE_CHARACTER_CLASS));
        }

        @Override
        public int[] findAll(String text) {
            Matcher m = regex.matcher(text);
            IntList out = new IntList(8);
            while (m.find()) {
                if (m.end() > m.start()) {
                    out.add(m.start());
                    out.add(m.end());
                }
            }
            return out.toArray();
        }
    }

    /** A char predicate: every matching code point is one match. */
    record CharClass(java.util.function.IntPredicate predicate) implements Pattern {
        @Override
        public int[] findAll(String text) {
            IntList out = new IntList(8);
            for (int i = 0; i < text.length(); ) {
                int n = Chars.charCount(text, i);
                if (predicate.test(Chars.codePointAt(text, i))) {
                    out.add(i);
                    out.add(i + n);
                }
                i += n;
            }
            return out.toArray();
        }
    }
}
