package org.modernbert.core.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Added tokens, matched in the text before the model runs: leftmost-longest, honouring {@code lstrip},
 * {@code rstrip} and {@code single_word} as HF's {@code AddedVocabulary::find_matches}. Tokens with
 * {@code normalized=false} are matched in the original text, the others in the normalized text.
 */
final class AddedVocabulary {
    record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special) {
        AddedToken withId(int newId) {
            return new AddedToken(newId, content, singleWord, lstrip, rstrip, normalized, special);
        }

        boolean sameProperties(AddedToken o) {
            return content.equals(o.content) && singleWord == o.singleWord && lstrip == o.lstrip && rstrip == o.rstrip
                    && normalized == o.normalized && special == o.special;
        }
    }

    /**
     * The added tokens as HF {@code tokenizers} holds them after loading: {@code tokens} has one token per
     * id (a later entry for the same content replaces the earlier one), {@code specialContents} every
     * content ever declared special, {@code renumbered} the tokens whose declared id was not the one given.
     */
    record Resolved(List<AddedToken> tokens, Set<String> specialContents, List<String> renumbered) {
    }

    /**
     * Gives the declared added tokens the ids HF {@code tokenizers} gives them when it loads tokenizer.json
     * ({@code AddedVocabulary::add_tokens}): the declared {@code id} is not used. A content already added
     * keeps its id, a content in the model vocabulary gets the model's id, and any other content gets the
     * next id after the model vocabulary ({@code vocab.len()}, then one more for each). So ids with gaps or
     * far beyond the vocabulary are packed after it. Empty contents are ignored, as HF does.
     */
    static Resolved resolve(List<AddedToken> declared, BpeModel model) {
        Map<String, Integer> idOf = new HashMap<>();
        Map<Integer, AddedToken> byId = new LinkedHashMap<>();
        Set<String> special = new HashSet<>();
        List<String> renumbered = new ArrayList<>();
        int nextId = model.vocabSize();
        for (AddedToken t : declared) {
            if (t.content().isEmpty()) {
                continue;
            }
            Integer existing = idOf.get(t.content());
            if (existing != null && byId.get(existing).sameProperties(t)) {
                continue;
            }
            Integer id = existing != null ? existing : model.tokenToId(t.content());
            if (id == null) {
                id = nextId++;
            }
            if (id != t.id()) {
                renumbered.add("'" + t.content() + "' " + t.id() + " -> " + id);
            }
            idOf.put(t.content(), id);
            if (t.special()) {
                special.add(t.content());
            }
            byId.put(id, t.withId(id));
        }
        return new Resolved(List.copyOf(byId.values()), Set.copyOf(special), List.copyOf(renumbered));
    }

    /** A character trie over the patterns; edges keyed by (node, char) in a primitive map. */
    static final class Matcher {
        private final List<AddedToken> tokens;
        private final PrimitiveMaps.LongLongMap edges;
        private final int[] terminal;
        private final boolean[] firstChar = new boolean[65536];
        private final boolean empty;

        Matcher(List<AddedToken> tokens, List<String> patterns) {
            this.tokens = tokens;
            int totalChars = 1;
            for (String p : patterns) {
                totalChars += p.length();
            }
            edges = new PrimitiveMaps.LongLongMap(totalChars);
            int[] term = new int[totalChars];
            java.util.Arrays.fill(term, -1);
            int nodes = 1;
            for (int t = 0; t < patterns.size(); t++) {
                String p = patterns.get(t);
                if (p.isEmpty()) {
                    continue;
                }
                firstChar[p.charAt(0)] = true;
                int node = 0;
                for (int i = 0; i < p.length(); i++) {
                    long key = ((long) node << 16) | p.charAt(i);
                    long child = edges.get(key, -1L);
                    if (child == -1L) {
                        child = nodes++;
                        edges.putIfAbsent(key, child);
                    }
                    node = (int) child;
                }
                if (term[node] < 0) {
                    term[node] = t;
                }
            }
            terminal = term;
            empty = nodes == 1;
        }

        /**
         * Splits {@code s} into pieces {@code [tokenIndex or -1, start, end]*} covering it, flattened;
         * token pieces include the whitespace their lstrip/rstrip swallowed.
         */
        void findMatches(String s, IntList out) {
            int len = s.length();
            int startOffset = 0;
            if (!empty) {
                int i = 0;
                while (i < len) {
                    if (!firstChar[s.charAt(i)]) {
                        i++;
                        continue;
                    }
                    int node = 0;
                    int bestToken = -1;
                    int bestEnd = -1;
                    for (int j = i; j < len; j++) {
                        long child = edges.get(((long) node << 16) | s.charAt(j), -1L);
                        if (child == -1L) {
                            break;
                        }
                        node = (int) child;
                        if (terminal[node] >= 0) {
                            bestToken = terminal[node];
                            bestEnd = j + 1;
                        }
                    }
                    if (bestToken < 0) {
                        i++;
                        continue;
                    }
                    int start = i;
                    int stop = bestEnd;
                    AddedToken token = tokens.get(bestToken);
                    i = bestEnd;
                    if (start < startOffset) {
                        continue; // an earlier token's rstrip already consumed this position
                    }
                    if (token.singleWord()) {
                        boolean startSpace = start == 0 || !Chars.isWordChar(codePointBefore(s, start));
                        boolean stopSpace = stop == len || !Chars.isWordChar(Chars.codePointAt(s, stop));
                        if (!startSpace || !stopSpace) {
                            continue;
                        }
                    }
                    if (token.lstrip()) {
                        int newStart = start;
                        // every White_Space char is in the BMP, so one char at a time
                        while (newStart > 0 && Chars.isWhitespace(s.charAt(newStart - 1))) {
                            newStart--;
                        }
                        start = Math.max(newStart, startOffset);
                    }
                    if (token.rstrip()) {
                        while (stop < len && Chars.isWhitespace(Chars.codePointAt(s, stop))) {
                            stop += Chars.charCount(s, stop);
                        }
                        i = stop;
                    }
                    if (startOffset < start) {
                        out.add(-1);
                        out.add(startOffset);
                        out.add(start);
                    }
                    out.add(bestToken);
                    out.add(start);
                    out.add(stop);
                    startOffset = stop;
                }
            }
            if (startOffset < len) {
                out.add(-1);
                out.add(startOffset);
                out.add(len);
            }
        }

        AddedToken token(int index) {
            return tokens.get(index);
        }

        private static int codePointBefore(String s, int i) {
            char c = s.charAt(i - 1);
            if (Character.isLowSurrogate(c) && i >= 2 && Character.isHighSurrogate(s.charAt(i - 2))) {
                return Character.toCodePoint(s.charAt(i - 2), c);
            }
            return Character.isSurrogate(c) ? 0xFFFD : c;
        }
    }
}
