package org.modernbert.core.generation;

import org.modernbert.api.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Watches one sequence for {@code stop_strings}. Like transformers' {@code StopStringCriteria} a
 * match must end in the text of the newest token, may span several tokens, and may begin in the last
 * prompt tokens; the text is the decoded tail of the prompt plus the generated tokens (special
 * tokens skipped), so strings that cross token boundaries or byte-level merges are found.
 */
final class StopStringMatcher {
    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final int[] promptTail;
    private int[] ids;
    private int count;
    private int previousLength;

    StopStringMatcher(Tokenizer tokenizer, List<String> stops, int[] prompt, int maxNew) {
        this.tokenizer = tokenizer;
        this.stops = stops;
        int longest = stops.stream().mapToInt(String::length).max().orElse(0);
        // Every token decodes to at least one char (or is special and skipped), so this many prompt
        // tokens hold any prefix of a stop string that the prompt can contribute.
        int tail = Math.min(prompt.length, Math.max(0, longest - 1));
        promptTail = Arrays.copyOfRange(prompt, prompt.length - tail, prompt.length);
        ids = new int[tail + maxNew];
        System.arraycopy(promptTail, 0, ids, 0, tail);
        count = tail;
        previousLength = tail == 0 ? 0 : tokenizer.decode(promptTail, true).length();
    }

    /** Adds the newest token; true when a stop string now ends in its text. */
    boolean add(int token) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2 + 1);
        }
        ids[count++] = token;
        String text = tokenizer.decode(Arrays.copyOf(ids, count), true);
        int before = Math.min(previousLength, text.length());
        previousLength = text.length();
        for (String stop : stops) {
            int from = Math.max(0, before - stop.length() + 1);
            if (text.indexOf(stop, from) >= 0) {
                return true;
            }
        }
        return false;
    }
}
