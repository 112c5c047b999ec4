package org.modernbert.core.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-char map (printable bytes map to themselves, the rest to U+0100 onwards),
 * and a UTF-8 decoder that is lossy exactly like Rust's {@code String::from_utf8_lossy}.
 */
final class ByteLevelAlphabet {
    /** byte -> char. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** char -> byte, or -1; chars up to U+0143 only. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The byte a char stands for, or -1 when the char is not in the alphabet. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Appends the UTF-8 bytes of a code point to {@code out} at {@code pos}; returns the new position. */
    static int utf8(int cp, byte[] out, int pos) {
        if (cp < 0x80) {
            out[pos++] = (byte) cp;
        } else if (cp < 0x800) {
            out[pos++] = (byte) (0xC0 | (cp >> 6));
            out[pos++] = (byte) (0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[pos++] = (byte) (0xE0 | (cp >> 12));
            out[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[pos++] = (byte) (0x80 | (cp & 0x3F));
        } else {
            out[pos++] = (byte) (0xF0 | (cp >> 18));
            out[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
            out[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[pos++] = (byte) (0x80 | (cp & 0x3F));
        }
        return pos;
    }

    /** UTF-8 bytes of a string, lone surrogates as U+FFFD. */
    static byte[] utf8(String s) {
        byte[] out = new byte[s.length() * 3];
        int pos = 0;
        for (int i = 0; i < s.length(); i += Chars.charCount(s, i)) {
            pos = utf8(Chars.codePointAt(s, i), out, pos);
        }
        return java.util.Arrays.copyOf(out, pos);
    }

    /** Whether {@code bytes[0, len)} is valid UTF-8 (Rust {@code String::from_utf8} succeeds). */
    static boolean isValidUtf8(byte[] bytes, int len) {
        int i = 0;
        while (i < len) {
            int step = validSequenceLength(bytes, i, len);
            if (step <= 0) {
                return false;
            }
            i += step;
        }
        return true;
    }

    /**
     * Decodes like Rust's {@code from_utf8_lossy}: each maximal invalid prefix of a sequence (as Rust's
     * {@code Utf8Chunks} finds it) becomes one U+FFFD.
     */
    static String decodeLossy(byte[] bytes, int len) {
        StringBuilder out = new StringBuilder(len);
        int i = 0;
        int validStart = 0;
        while (i < len) {
            int step = validSequenceLength(bytes, i, len);
            if (step > 0) {
                i += step;
                continue;
            }
            if (i > validStart) {
                out.append(new String(bytes, validStart, i - validStart, StandardCharsets.UTF_8));
            }
            out.append('\uFFFD');
            i += -step;
            validStart = i;
        }
        if (i > validStart) {
            out.append(new String(bytes, validStart, i - validStart, StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    /** Length of the valid sequence at i (positive), or minus the length of the invalid chunk Rust reports. */
    private static int validSequenceLength(byte[] b, int i, int len) {
        int first = b[i] & 0xFF;
        if (first < 0x80) {
            return 1;
        }
        int width = first >= 0xC2 && first <= 0xDF ? 2 : first >= 0xE0 && first <= 0xEF ? 3 : first >= 0xF0 && first <= 0xF4 ? 4 : 0;
        if (width == 0) {
            return -1;
        }
        int second = i + 1 < len ? b[i + 1] & 0xFF : 0;
        if (width == 2) {
            return (second & 0xC0) == 0x80 ? 2 : -1;
        }
        boolean secondOk;
        if (width == 3) {
            secondOk = switch (first) {
                case 0xE0 -> second >= 0xA0 && second <= 0xBF;
                case 0xED -> second >= 0x80 && second <= 0x9F;
                default -> second >= 0x80 && second <= 0xBF;
            };
        } else {
            secondOk = switch (first) {
                case 0xF0 -> second >= 0x90 && second <= 0xBF;
                case 0xF4 -> second >= 0x80 && second <= 0x8F;
                default -> second >= 0x80 && second <= 0xBF;
            };
        }
        if (!secondOk) {
            return -1;
        }
        int third = i + 2 < len ? b[i + 2] & 0xFF : 0;
        if ((third & 0xC0) != 0x80) {
            return -2;
        }
        if (width == 3) {
            return 3;
        }
        int fourth = i + 3 < len ? b[i + 3] & 0xFF : 0;
        return (fourth & 0xC0) == 0x80 ? 4 : -3;
    }
}
