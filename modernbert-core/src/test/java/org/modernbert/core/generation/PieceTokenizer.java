package org.modernbert.core.generation;

import org.modernbert.api.tokenizer.Encoding;
import org.modernbert.api.tokenizer.SpecialTokens;
import org.modernbert.api.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A byte-level test tokenizer: each id stands for a fixed byte string (so a multi-byte character
 * can be split over ids, decoding lossily to U+FFFD like HF); id 0 is a special bos and id 1 a
 * special eos, skipped when decoding with skipSpecialTokens. Encoding splits text into the pieces
 * greedily (longest piece first).
 */
final class PieceTokenizer implements Tokenizer {
    final List<byte[]> pieces = new ArrayList<>();

    PieceTokenizer(String... textPieces) {
        pieces.add("<s>".getBytes(StandardCharsets.UTF_8));
        pieces.add("</s>".getBytes(StandardCharsets.UTF_8));
        for (String p : textPieces) {
            pieces.add(p.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Adds a raw byte piece and returns its id. */
    int addBytes(byte... bytes) {
        pieces.add(bytes);
        return pieces.size() - 1;
    }

    int id(String piece) {
        byte[] b = piece.getBytes(StandardCharsets.UTF_8);
        for (int i = 2; i < pieces.size(); i++) {
            if (java.util.Arrays.equals(pieces.get(i), b)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no piece " + piece);
    }

    @Override
    public Encoding encode(String text, boolean addSpecialTokens) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Encoding encode(String text, boolean addSpecialTokens, int maxLength) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Encoding encodePair(String first, String second, boolean addSpecialTokens, int maxLength) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Encoding encodePair(String first, String second, boolean addSpecialTokens) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<Encoding> encodeBatch(List<String> texts, boolean addSpecialTokens) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int[] encodeForGeneration(String prompt) {
        List<Integer> ids = new ArrayList<>();
        ids.add(0);
        byte[] b = prompt.getBytes(StandardCharsets.UTF_8);
        int at = 0;
        while (at < b.length) {
            int best = -1;
            int bestLen = 0;
            for (int i = 2; i < pieces.size(); i++) {
                byte[] p = pieces.get(i);
                if (p.length > bestLen && at + p.length <= b.length
                        && java.util.Arrays.equals(b, at, at + p.length, p, 0, p.length)) {
                    best = i;
                    bestLen = p.length;
                }
            }
            if (best < 0) {
                throw new IllegalArgumentException("cannot encode " + prompt);
            }
            ids.add(best);
            at += bestLen;
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (skipSpecialTokens && id < 2) {
                continue;
            }
            out.writeBytes(pieces.get(id));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return pieces.size();
    }

    @Override
    public Integer tokenToId(String token) {
        return null;
    }

    @Override
    public String idToToken(int id) {
        return new String(pieces.get(id), StandardCharsets.UTF_8);
    }

    @Override
    public boolean isSpecial(int id) {
        return id < 2;
    }

    @Override
    public SpecialTokens specialTokens() {
        return new SpecialTokens("<s>", 0, "</s>", 1, null, null, null, null, "<s>", 0, "</s>", 1, null, null,
                Integer.MAX_VALUE);
    }
}
