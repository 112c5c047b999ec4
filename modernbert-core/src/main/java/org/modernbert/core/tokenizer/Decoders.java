package org.modernbert.core.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** The decoders of {@code tokenizer.json}: each maps the list of token strings to a new list (decode_chain). */
final class Decoders {
    private Decoders() {
    }

    interface Decoder {
        List<String> decodeChain(List<String> tokens);
    }

    /** Alphabet chars back to bytes (tokens with other chars contribute their UTF-8), then lossy UTF-8. */
    record ByteLevel() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            int capacity = 16;
            for (String t : tokens) {
                capacity += t.length() * 3;
            }
            byte[] bytes = new byte[capacity];
            int n = 0;
            for (String t : tokens) {
                boolean mapped = true;
                for (int i = 0; i < t.length() && mapped; i++) {
                    mapped = ByteLevelAlphabet.byteOf(t.charAt(i)) >= 0;
                }
                if (mapped) {
                    for (int i = 0; i < t.length(); i++) {
                        bytes[n++] = (byte) ByteLevelAlphabet.byteOf(t.charAt(i));
                    }
                } else {
                    byte[] raw = ByteLevelAlphabet.utf8(t);
                    System.arraycopy(raw, 0, bytes, n, raw.length);
                    n += raw.length;
                }
            }
            return List.of(ByteLevelAlphabet.decodeLossy(bytes, n));
        }
    }

    record Replace(Patterns.Pattern pattern, String content) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] m = pattern.findAll(t);
                if (m.length == 0) {
                    out.add(t);
                    continue;
                }
                StringBuilder sb = new StringBuilder(t.length());
                int prev = 0;
                for (int k = 0; k < m.length; k += 2) {
                    sb.append(t, prev, m[k]).append(content);
                    prev = m[k + 1];
                }
                out.add(sb.append(t, prev, t.length()).toString());
            }
            return out;
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing occurrences of a char from each token. */
    record Strip(int content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int startCut = 0;
                for (int i = 0; i < Math.min(start, cps.length); i++) {
                    if (cps[i] != content) {
                        break;
                    }
                    startCut = i + 1;
                }
                int stopCut = cps.length;
                for (int i = 0; i < Math.min(stop, cps.length - startCut); i++) {
                    int index = cps.length - i - 1;
                    if (cps[index] != content) {
                        break;
                    }
                    stopCut = index;
                }
                out.add(new String(cps, startCut, stopCut - startCut));
            }
            return out;
        }
    }

    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Runs of {@code <0xXX>} tokens become their UTF-8 text, or one U+FFFD per byte when invalid. */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            byte[] pending = new byte[16];
            int n = 0;
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    if (n == pending.length) {
                        pending = java.util.Arrays.copyOf(pending, n * 2);
                    }
                    pending[n++] = (byte) b;
                    continue;
                }
                flush(pending, n, out);
                n = 0;
                out.add(t);
            }
            flush(pending, n, out);
            return out;
        }

        private static void flush(byte[] bytes, int n, List<String> out) {
            if (n == 0) {
                return;
            }
            if (ByteLevelAlphabet.isValidUtf8(bytes, n)) {
                out.add(new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            } else {
                for (int i = 0; i < n; i++) {
                    out.add("\uFFFD");
                }
            }
        }

        private static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') {
                return -1;
            }
            int hi = Character.digit(t.charAt(3), 16);
            int lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
    }

    /** The replacement char becomes a space, except in the first token when a prefix was prepended. */
    record Metaspace(char replacement, PreTokenizers.PrependScheme prependScheme) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                StringBuilder sb = new StringBuilder(t.length());
                for (int k = 0; k < t.length(); k++) {
                    char c = t.charAt(k);
                    if (c == replacement) {
                        if (!(i == 0 && prependScheme != PreTokenizers.PrependScheme.NEVER)) {
                            sb.append(' ');
                        }
                    } else {
                        sb.append(c);
                    }
                }
                out.add(sb.toString());
            }
            return out;
        }
    }

    /** Joins word pieces: a token with the prefix continues the word, others start with a space. */
    record WordPiece(String prefix, boolean cleanup) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (i != 0) {
                    t = t.startsWith(prefix) ? t.substring(prefix.length()) : " " + t;
                }
                if (cleanup) {
                    t = cleanup(t);
                }
                out.add(t);
            }
            return out;
        }

        /** HF's {@code wordpiece::cleanup}. */
        static String cleanup(String s) {
            return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                    .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
                    .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
        }
    }

    record Sequence(List<Decoder> decoders) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : decoders) {
                tokens = d.decodeChain(tokens);
            }
            return tokens;
        }
    }
}
