package org.modernbert.api.tokenizer;

import java.util.List;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer: the same ids, tokens, offsets and decoded text as
 * the Rust {@code tokenizers} library. Immutable and thread-safe.
 */
public interface Tokenizer {
    /** Encodes one text; with special tokens the post-processor template is applied. */
    Encoding encode(String text, boolean addSpecialTokens);

    /**
     * Encodes one text truncated to at most {@code maxLength} tokens in total, special tokens included
     * (HF truncation: the text's tokens are cut at the right, then the template is applied).
     */
    Encoding encode(String text, boolean addSpecialTokens, int maxLength);

    /** Encodes a pair of texts with the pair template. */
    Encoding encodePair(String first, String second, boolean addSpecialTokens);

    /** Encodes a pair truncated to {@code maxLength} tokens in total with HF's longest-first strategy. */
    Encoding encodePair(String first, String second, boolean addSpecialTokens, int maxLength);

    /**
     * Encodes several texts (in parallel where that pays), as HF {@code encode_batch}: ids and attention
     * mask per row; when tokenizer.json has a {@code padding} section the rows are padded as it says.
     */
    List<Encoding> encodeBatch(List<String> texts, boolean addSpecialTokens);

    /**
     * Ids of a prompt for generation: the bos/{@code [CLS]} token then the text's ids, and never the
     * template's trailing {@code [SEP]} (it is the decoder's eos), as transformers' Python tokenizer
     * does for these decoders.
     */
    int[] encodeForGeneration(String prompt);

    /** Decodes ids to text; ids outside the vocabulary are skipped, as HF {@code tokenizers} does. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** Vocabulary size including added tokens. */
    int vocabSize();

    /** The id of a token string (vocabulary or added token), or null. */
    Integer tokenToId(String token);

    /** The token string of an id, or null. */
    String idToToken(int id);

    /** Whether the id is a special added token (skipped by {@code decode(ids, true)}). */
    boolean isSpecial(int id);

    SpecialTokens specialTokens();
}
