package org.modernbert.api.tokenizer;

/**
 * The result of encoding text, as HF {@code tokenizers}' {@code Encoding}.
 *
 * @param ids               token ids
 * @param tokens            token strings (byte-level symbols for byte-level BPE)
 * @param typeIds           segment ids (0 for the first sequence, 1 for the pair)
 * @param attentionMask     1 for every token, 0 at the pads a {@code padding} section of tokenizer.json adds
 * @param specialTokensMask 1 where the token is a special token added by the template
 * @param offsets           per token {@code [start, end)} char offsets into the original text
 */
public record Encoding(int[] ids, String[] tokens, int[] typeIds, int[] attentionMask, int[] specialTokensMask, int[][] offsets) {
    public int length() {
        return ids.length;
    }
}
