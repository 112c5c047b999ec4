package org.modernbert.core.generation;

import org.modernbert.api.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * transformers' {@code TextStreamer} flushing rule, per sequence: the tokens since the last flush
 * are decoded (special tokens skipped) and the text is released
 * <ul>
 *   <li>entirely when it ends with a newline (then the token buffer restarts),</li>
 *   <li>entirely when its last character is a CJK ideograph (those are words on their own),</li>
 *   <li>otherwise only up to and including its last space, so words are never cut;</li>
 * </ul>
 * what is left is released when the sequence ends. Text ending in U+FFFD (a multi-byte character
 * whose remaining bytes are in tokens still to come) is held back, so a character is never split.
 * Empty pieces are not delivered, except the final one.
 */
public final class TextStreamer implements TokenStreamer {
    /** Receives text pieces on the generating thread. */
    @FunctionalInterface
    public interface TextListener {
        void onText(int sequence, String text, boolean streamEnd);
    }

    private final Tokenizer tokenizer;
    private final TextListener listener;
    private final Map<Integer, State> states = new HashMap<>();

    public TextStreamer(Tokenizer tokenizer, TextListener listener) {
        this.tokenizer = tokenizer;
        this.listener = listener;
    }

    private static final class State {
        int[] tokens = new int[16];
        int count;
        int printLength;
    }

    @Override
    public void put(int sequence, int tokenId) {
        State st = states.computeIfAbsent(sequence, k -> new State());
        if (st.count == st.tokens.length) {
            st.tokens = Arrays.copyOf(st.tokens, st.count * 2);
        }
        st.tokens[st.count++] = tokenId;
        String text = tokenizer.decode(Arrays.copyOf(st.tokens, st.count), true);
        String printable;
        if (text.endsWith("\n")) {
            printable = text.substring(Math.min(st.printLength, text.length()));
            st.count = 0;
            st.printLength = 0;
        } else if (!text.isEmpty() && isCjk(text.codePointBefore(text.length()))) {
            printable = text.substring(Math.min(st.printLength, text.length()));
            st.printLength += printable.length();
        } else if (text.endsWith("\uFFFD")) {
            printable = "";
        } else {
            int end = text.lastIndexOf(' ') + 1;
            printable = end > st.printLength ? text.substring(st.printLength, end) : "";
            st.printLength += printable.length();
        }
        if (!printable.isEmpty()) {
            listener.onText(sequence, printable, false);
        }
    }

    @Override
    public void end(int sequence, FinishReason reason) {
        State st = states.remove(sequence);
        String printable = "";
        if (st != null && st.count > 0) {
            String text = tokenizer.decode(Arrays.copyOf(st.tokens, st.count), true);
            printable = st.printLength < text.length() ? text.substring(st.printLength) : "";
        }
        listener.onText(sequence, printable, true);
    }

    /** The CJK ideograph blocks of transformers' {@code _is_chinese_char} (the server's streams flush on them too). */
    public static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
