package org.modernbert.server;

import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.generation.TextStreamer;

import java.util.Arrays;
import java.util.List;

/**
 * The text of one choice as its tokens arrive. The text is always the continuation as
 * {@code TextGenerationPipeline.continuation} computes it (decode(prompt + new) minus decode(prompt)),
 * cut before the first stop string, so streamed pieces add up to the non-streamed text. Pieces are
 * released with core's {@code TextStreamer} rule (whole text at a newline or a CJK ideograph, else up
 * to the last space, nothing while a character is incomplete), and text that could still become a stop
 * string is held back.
 */
final class ChoiceText {
    private final Tokenizer tokenizer;
    private final int promptLength;
    private final List<String> stops;
    private final int holdBack;
    private int[] ids;
    private int count;
    private int released;
    private boolean stopped;
    private String text = "";

    ChoiceText(Tokenizer tokenizer, int[] promptIds, List<String> stops) {
        this.tokenizer = tokenizer;
        this.ids = Arrays.copyOf(promptIds, promptIds.length + 16);
        this.count = promptIds.length;
        this.promptLength = tokenizer.decode(promptIds, true).length();
        this.stops = stops == null ? List.of() : stops;
        this.holdBack = this.stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    /** The text so far (cut at a stop string): also where the next token's text starts. */
    String text() {
        return text;
    }

    /** Adds a token; returns the text that can be released now (maybe empty). */
    String add(int token) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = token;
        if (stopped) {
            return "";
        }
        String cont = continuation();
        int stopAt = firstStop(cont);
        if (stopAt >= 0) {
            stopped = true;
            text = cont.substring(0, stopAt);
            return release(stopAt);
        }
        text = cont;
        int end;
        if (cont.isEmpty()) {
            end = released;
        } else if (cont.endsWith("\n") || TextStreamer.isCjk(cont.codePointBefore(cont.length()))) {
            end = cont.length();
        } else if (cont.endsWith("\uFFFD")) {
            end = released;
        } else {
            end = cont.lastIndexOf(' ') + 1;
        }
        // A stop string not yet complete starts within the last (longest stop - 1) characters.
        return release(Math.min(end, cont.length() - holdBack));
    }

    /** The sequence ended: the rest of the text. */
    String finish() {
        if (!stopped) {
            String cont = continuation();
            int stopAt = firstStop(cont);
            text = stopAt >= 0 ? cont.substring(0, stopAt) : cont;
        }
        return release(text.length());
    }

    private String release(int end) {
        end = Math.min(end, text.length());
        if (end <= released) {
            return "";
        }
        String piece = text.substring(released, end);
        released = end;
        return piece;
    }

    private String continuation() {
        String full = tokenizer.decode(Arrays.copyOf(ids, count), true);
        return promptLength <= full.length() ? full.substring(promptLength) : "";
    }

    private int firstStop(String s) {
        return firstStop(s, stops);
    }

    private static int firstStop(String s, List<String> stops) {
        int best = -1;
        for (String stop : stops) {
            int i = s.indexOf(stop);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** The generated text of a finished sequence as the API returns it: cut before the first stop string. */
    static String cut(String continuation, List<String> stops) {
        int at = firstStop(continuation, stops == null ? List.of() : stops);
        return at < 0 ? continuation : continuation.substring(0, at);
    }
}
