package org.modernbert.core.tokenizer;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.Encoding;

import java.util.Arrays;

/**
 * The {@code padding} section of tokenizer.json, applied as HF {@code tokenizers}' {@code pad_encodings}:
 * every encoding is padded to the batch's longest ({@link Strategy#BATCH_LONGEST}) or to
 * {@code fixedLength} ({@link Strategy#FIXED}), rounded up to a multiple of {@code padToMultipleOf} when
 * that is above 0; longer encodings are left as they are (padding never truncates). A pad position has
 * id {@code padId}, token {@code padToken}, type id {@code padTypeId}, attention mask 0, special-tokens
 * mask 1 and offsets {@code (0, 0)}.
 */
public record Padding(Strategy strategy, int fixedLength, Direction direction, int padToMultipleOf, int padId, int padTypeId,
                      String padToken) {
    public enum Strategy { BATCH_LONGEST, FIXED }

    public enum Direction { RIGHT, LEFT }

    public Padding {
        if (strategy == null || direction == null || padToken == null) {
            throw new ModernBertException("padding strategy, direction and pad_token must be given");
        }
        if (fixedLength < 0 || padToMultipleOf < 0 || padId < 0 || padTypeId < 0) {
            throw new ModernBertException("padding lengths and ids must be >= 0");
        }
    }

    /** The length every encoding of a batch whose longest has {@code longest} tokens is padded to. */
    public int targetLength(int longest) {
        int length = strategy == Strategy.FIXED ? fixedLength : longest;
        if (padToMultipleOf > 0 && length % padToMultipleOf > 0) {
            length += padToMultipleOf - length % padToMultipleOf;
        }
        return length;
    }

    /** {@code e} padded to {@code length} tokens; {@code e} itself when it is already that long or longer. */
    public Encoding pad(Encoding e, int length) {
        int n = e.length();
        if (n >= length) {
            return e;
        }
        int pad = length - n;
        int from = direction == Direction.LEFT ? pad : 0;
        int padFrom = direction == Direction.LEFT ? 0 : n;
        int[] ids = new int[length];
        String[] tokens = new String[length];
        int[] typeIds = new int[length];
        int[] attention = new int[length];
        int[] special = new int[length];
        int[][] offsets = new int[length][];
        System.arraycopy(e.ids(), 0, ids, from, n);
        System.arraycopy(e.tokens(), 0, tokens, from, n);
        System.arraycopy(e.typeIds(), 0, typeIds, from, n);
        System.arraycopy(e.attentionMask(), 0, attention, from, n);
        System.arraycopy(e.specialTokensMask(), 0, special, from, n);
        System.arraycopy(e.offsets(), 0, offsets, from, n);
        Arrays.fill(ids, padFrom, padFrom + pad, padId);
        Arrays.fill(tokens, padFrom, padFrom + pad, padToken);
        Arrays.fill(typeIds, padFrom, padFrom + pad, padTypeId);
        Arrays.fill(special, padFrom, padFrom + pad, 1);
        for (int i = padFrom; i < padFrom + pad; i++) {
            offsets[i] = new int[] {0, 0};
        }
        return new Encoding(ids, tokens, typeIds, attention, special, offsets);
    }
}
