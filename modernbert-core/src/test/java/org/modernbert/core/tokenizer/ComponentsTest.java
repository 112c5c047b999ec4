package org.modernbert.core.tokenizer;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.Encoding;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each component on small hand-made inputs whose HF results are known (many from HF's own tests and docs). */
class ComponentsTest {

    static HuggingFaceTokenizer tokenizer(String normalizer, String preTokenizer, String model, String postProcessor,
                                          String decoder, String addedTokens) {
        String json = """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": %s, "normalizer": %s,
                 "pre_tokenizer": %s, "post_processor": %s, "decoder": %s, "model": %s}
                """.formatted(addedTokens, normalizer, preTokenizer, postProcessor, decoder, model);
        return HuggingFaceTokenizer.fromJson(json, null, "tokenizer.json", "tokenizer_config.json");
    }

    static List<String> pieces(PreTokenizers.PreTokenizer p, String text) {
        List<NormalizedString> out = new ArrayList<>();
        p.split(NormalizedString.identity(text, 0), out);
        return out.stream().map(NormalizedString::text).toList();
    }

    static String normalize(Normalizers.Normalizer n, String text) {
        return n.normalize(NormalizedString.identity(text, 0)).text();
    }

    // ---- normalizers

    @Test
    void unicodeNormalizationFormsKeepAlignment() {
        NormalizedString nfd = new Normalizers.Unicode(java.text.Normalizer.Form.NFD).normalize(NormalizedString.identity("xé", 0));
        assertEquals("xe\u0301", nfd.text());
        assertEquals(1, nfd.originalStart(2));
        assertEquals(2, nfd.originalEnd(2));
        assertEquals("é", normalize(new Normalizers.Unicode(java.text.Normalizer.Form.NFC), "e\u0301"));
        assertEquals("fi", normalize(new Normalizers.Unicode(java.text.Normalizer.Form.NFKC), "ﬁ"));
        assertEquals("fie\u0301", normalize(new Normalizers.Unicode(java.text.Normalizer.Form.NFKD), "ﬁé"));
        // Hangul jamo compose across "chunks": the text must still be exactly NFC.
        assertEquals("\uD55C", normalize(new Normalizers.Unicode(java.text.Normalizer.Form.NFC), "\u1112\u1161\u11AB"));
    }

    @Test
    void lowercaseStripAccentsReplacePrependSequence() {
        assertEquals("hello ünï", normalize(new Normalizers.Lowercase(), "HeLLo ÜNÏ"));
        assertEquals("i\u0307", normalize(new Normalizers.Lowercase(), "\u0130"));
        assertEquals("a b", normalize(new Normalizers.Strip(true, true), " \t a b \u3000"));
        assertEquals("a b \u3000", normalize(new Normalizers.Strip(true, false), " \t a b \u3000"));
        Normalizers.Normalizer bertLike = new Normalizers.Sequence(List.of(
                new Normalizers.Unicode(java.text.Normalizer.Form.NFD), new Normalizers.StripAccents(), new Normalizers.Lowercase()));
        assertEquals("cafe naive", normalize(bertLike, "Café Naïve"));
        NormalizedString replaced = new Normalizers.Replace(new Patterns.Literal(" "), "▁").normalize(NormalizedString.identity("a b", 0));
        assertEquals("a▁b", replaced.text());
        assertEquals("a__b", normalize(new Normalizers.Replace(Patterns.Regex.compile("\\s+"), "__"), "a \t b"));
        NormalizedString prepended = new Normalizers.Prepend("▁").normalize(NormalizedString.identity("hey", 0));
        assertEquals("▁hey", prepended.text());
        assertEquals(0, prepended.originalStart(0));
        assertEquals("", normalize(new Normalizers.Prepend("▁"), ""));
    }

    // ---- pre-tokenizers

    @Test
    void splitBehaviorsAsInHfDocs() {
        Patterns.Pattern dash = new Patterns.Literal("-");
        String text = "the-final--countdown";
        assertEquals(List.of("the", "final", "countdown"), pieces(new PreTokenizers.Split(dash, PreTokenizers.Behavior.REMOVED, false), text));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), pieces(new PreTokenizers.Split(dash, PreTokenizers.Behavior.ISOLATED, false), text));
        assertEquals(List.of("the-", "final-", "-", "countdown"), pieces(new PreTokenizers.Split(dash, PreTokenizers.Behavior.MERGED_WITH_PREVIOUS, false), text));
        assertEquals(List.of("the", "-final", "-", "-countdown"), pieces(new PreTokenizers.Split(dash, PreTokenizers.Behavior.MERGED_WITH_NEXT, false), text));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), pieces(new PreTokenizers.Split(dash, PreTokenizers.Behavior.CONTIGUOUS, false), text));
        // invert: the words are no longer matches, so Removed drops the dashes instead
        assertEquals(List.of("the", "final", "countdown"), pieces(new PreTokenizers.Split(Patterns.Regex.compile("\\w+"), PreTokenizers.Behavior.REMOVED, true), text));
    }

    @Test
    void whitespaceDigitsPunctuationMetaspace() {
        String text = "Hey friend!     How are you?!?";
        assertEquals(List.of("Hey", "friend", "!", "How", "are", "you", "?!?"), pieces(new PreTokenizers.Whitespace(), text));
        assertEquals(List.of("Hey", "friend!", "How", "are", "you?!?"), pieces(new PreTokenizers.WhitespaceSplit(), text));
        assertEquals(List.of("Hey friend", "!", "     How are you", "?", "!", "?"),
                pieces(new PreTokenizers.Punctuation(PreTokenizers.Behavior.ISOLATED), text));
        assertEquals(List.of("Hey ", "1", "2", "3", " friend!"), pieces(new PreTokenizers.Digits(true), "Hey 123 friend!"));
        assertEquals(List.of("Hey ", "123", " friend!"), pieces(new PreTokenizers.Digits(false), "Hey 123 friend!"));
        PreTokenizers.Metaspace meta = new PreTokenizers.Metaspace('▁', PreTokenizers.PrependScheme.ALWAYS, true);
        assertEquals(List.of("▁Hey", "▁friend!"), pieces(meta, "Hey friend!"));
        assertEquals(List.of("▁Hey", "▁", "▁", "▁friend!"), pieces(meta, "Hey   friend!"));
        assertEquals(List.of("Hey▁friend!"), pieces(new PreTokenizers.Metaspace('▁', PreTokenizers.PrependScheme.NEVER, false), "Hey friend!"));
        PreTokenizers.PreTokenizer seq = new PreTokenizers.Sequence(List.of(new PreTokenizers.WhitespaceSplit(), new PreTokenizers.Digits(true)));
        assertEquals(List.of("a", "1", "2", "b"), pieces(seq, "a12 b"));
    }

    @Test
    void byteLevelUsesGpt2RegexAndByteAlphabet() {
        PreTokenizers.ByteLevel bl = new PreTokenizers.ByteLevel(false, true);
        assertEquals(List.of("Hello", "Ġmy", "Ġfriend", ",", "Ġhow", "Ġis", "Ġyour", "Ġday", "Ġgoing", "?"),
                pieces(bl, "Hello my friend, how is your day going?"));
        assertEquals(List.of("ĠHello", "Ġthere"), pieces(new PreTokenizers.ByteLevel(true, true), "Hello there"));
        // \s+(?!\S): a run of spaces leaves its last space to the next word
        assertEquals(List.of("a", "ĠĠ", "Ġb", "ĠĠ"), pieces(bl, "a   b  "));
        assertEquals(List.of("I", "'m", "Ġok", "ĊĊ"), pieces(bl, "I'm ok\n\n"));
        assertEquals(List.of("a", "Ċ", "Ġb"), pieces(bl, "a\n b"));
        assertEquals(List.of("Ã©"), pieces(bl, "é"));
        assertEquals(List.of("Ġ123", "abc"), pieces(bl, " 123abc"));
        assertEquals(List.of("Hello world"), pieces(new PreTokenizers.ByteLevel(false, false), "Hello world").stream()
                .map(s -> s.replace('Ġ', ' ')).toList());
    }

    // ---- BPE model

    private static final String ABC_VOCAB = "{\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3, \"bc\": 4, \"abc\": 5, \"[UNK]\": 6, \"<0x64>\": 7}";

    static HuggingFaceTokenizer bpe(String vocab, String merges, String options) {
        String model = "{\"type\": \"BPE\", \"vocab\": " + vocab + ", \"merges\": " + merges + options + "}";
        return tokenizer("null", "null", model, "null", "null", "[]");
    }

    @Test
    void bpeAppliesMergesByRankInBothSerialisations() {
        assertArrayEquals(new int[]{5}, bpe(ABC_VOCAB, "[\"a b\", \"ab c\"]", "").encode("abc", false).ids());
        assertArrayEquals(new int[]{0, 4}, bpe(ABC_VOCAB, "[\"b c\", \"a b\"]", "").encode("abc", false).ids());
        assertArrayEquals(new int[]{0, 4}, bpe(ABC_VOCAB, "[[\"b\", \"c\"], [\"a\", \"b\"]]", "").encode("abc", false).ids());
        // leftmost first among equal ranks: "aaa" with merge "a a" -> "aa" "a"
        String vocab = "{\"a\": 0, \"aa\": 1}";
        assertArrayEquals(new int[]{1, 0}, bpe(vocab, "[\"a a\"]", "").encode("aaa", false).ids());
        assertArrayEquals(new int[]{1, 1}, bpe(vocab, "[\"a a\"]", "").encode("aaaa", false).ids());
    }

    @Test
    void bpeUnknownsByteFallbackAndIgnoreMerges() {
        // no unk, no fallback: the unknown char is dropped (HF behaviour)
        assertArrayEquals(new int[]{0}, bpe(ABC_VOCAB, "[]", "").encode("ax", false).ids());
        assertArrayEquals(new int[]{0, 6, 6}, bpe(ABC_VOCAB, "[]", ", \"unk_token\": \"[UNK]\"").encode("axx", false).ids());
        assertArrayEquals(new int[]{0, 6}, bpe(ABC_VOCAB, "[]", ", \"unk_token\": \"[UNK]\", \"fuse_unk\": true").encode("axx", false).ids());
        assertArrayEquals(new int[]{7, 6}, bpe(ABC_VOCAB, "[]", ", \"unk_token\": \"[UNK]\", \"byte_fallback\": true").encode("dx", false).ids());
        assertArrayEquals(new int[]{0, 1, 2}, bpe(ABC_VOCAB, "[]", "").encode("abc", false).ids());
        assertArrayEquals(new int[]{5}, bpe(ABC_VOCAB, "[]", ", \"ignore_merges\": true").encode("abc", false).ids());
    }

    @Test
    void bpeContinuingSubwordPrefixAndEndOfWordSuffix() {
        String prefixed = "{\"a\": 0, \"##b\": 1, \"ab\": 2, \"##c\": 3, \"abc\": 4}";
        HuggingFaceTokenizer p = bpe(prefixed, "[\"a ##b\", \"ab ##c\"]", ", \"continuing_subword_prefix\": \"##\"");
        assertArrayEquals(new int[]{4}, p.encode("abc", false).ids());
        assertArrayEquals(new int[]{2}, p.encode("ab", false).ids());
        String suffixed = "{\"a\": 0, \"b</w>\": 1, \"ab</w>\": 2, \"b\": 3}";
        HuggingFaceTokenizer s = bpe(suffixed, "[\"a b</w>\"]", ", \"end_of_word_suffix\": \"</w>\"");
        assertArrayEquals(new int[]{2}, s.encode("ab", false).ids());
        assertArrayEquals(new int[]{3, 1}, s.encode("bb", false).ids());
    }

    // ---- added tokens

    private static final String WORDS_MODEL = "{\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"c\": 2, \" \": 3, \"h\": 4, \"i\": 5, \"H\": 6, \"I\": 7}, \"merges\": []}";

    static String added(int id, String content, String flags) {
        return "{\"id\": " + id + ", \"content\": \"" + content + "\", \"special\": true" + flags + "}";
    }

    @Test
    void addedTokensLongestFirstWithStripAndSingleWord() {
        HuggingFaceTokenizer t = tokenizer("null", "null", WORDS_MODEL, "null", "null",
                "[" + added(8, "ab", ", \"single_word\": true") + "," + added(9, "abc", "") + ","
                        + added(10, "[M]", ", \"lstrip\": true") + "," + added(11, "[R]", ", \"rstrip\": true") + "]");
        assertArrayEquals(new int[]{9}, t.encode("abc", false).ids(), "longest match wins");
        assertArrayEquals(new int[]{8, 3, 2, 0, 1}, t.encode("ab cab", false).ids(), "single_word only matches a whole word");
        Encoding e = t.encode("a  [M] b", false);
        assertArrayEquals(new int[]{0, 10, 3, 1}, e.ids(), "lstrip swallows the spaces before");
        assertArrayEquals(new int[]{1, 6}, e.offsets()[1]);
        assertArrayEquals(new int[]{0, 11, 1}, t.encode("a[R]  b", false).ids(), "rstrip swallows the spaces after");
        assertArrayEquals(new int[]{2, 0}, t.encode("[Mca", false).ids(), "a fragment of an added token is plain text");
    }

    @Test
    void normalizedAddedTokensMatchTheNormalizedText() {
        String lower = "{\"type\": \"Lowercase\"}";
        HuggingFaceTokenizer normalized = tokenizer(lower, "null", WORDS_MODEL, "null", "null",
                "[{\"id\": 8, \"content\": \"hi\", \"special\": false, \"normalized\": true}]");
        assertArrayEquals(new int[]{8}, normalized.encode("HI", false).ids());
        HuggingFaceTokenizer raw = tokenizer(lower, "null", WORDS_MODEL, "null", "null",
                "[{\"id\": 8, \"content\": \"hi\", \"special\": false, \"normalized\": false}]");
        assertArrayEquals(new int[]{4, 5}, raw.encode("HI", false).ids());
        assertArrayEquals(new int[]{8}, raw.encode("hi", false).ids());
        assertTrue(!raw.isSpecial(8));
        assertEquals("hi", raw.decode(new int[]{8}, true), "non-special added tokens survive skip_special_tokens");
    }

    // ---- post-processors

    private static final String SPECIALS = "[" + added(8, "[CLS]", "") + "," + added(9, "[SEP]", "") + "]";

    @Test
    void templateProcessingSingleAndPairWithTypeIds() {
        String template = """
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                 "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                          {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                 "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [8], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [9], "tokens": ["[SEP]"]}}}
                """;
        HuggingFaceTokenizer t = tokenizer("null", "null", WORDS_MODEL, template, "null", SPECIALS);
        Encoding single = t.encode("ab", true);
        assertArrayEquals(new int[]{8, 0, 1, 9}, single.ids());
        assertArrayEquals(new int[]{1, 0, 0, 1}, single.specialTokensMask());
        Encoding pair = t.encodePair("a", "bc", true);
        assertArrayEquals(new int[]{8, 0, 9, 1, 2, 9}, pair.ids());
        assertArrayEquals(new int[]{0, 0, 0, 1, 1, 1}, pair.typeIds());
        assertArrayEquals(new int[]{0, 1, 2}, t.encodePair("a", "bc", false).ids());
        assertArrayEquals(new int[]{0, 1, 1}, t.encodePair("a", "bc", false).typeIds());
        HuggingFaceTokenizer fromString = tokenizer("null", "null", WORDS_MODEL,
                "{\"type\": \"TemplateProcessing\", \"single\": \"[CLS] $A [SEP]\", \"pair\": \"[CLS] $A [SEP] $B:1 [SEP]:1\", \"special_tokens\": {}}",
                "null", SPECIALS);
        assertArrayEquals(pair.ids(), fromString.encodePair("a", "bc", true).ids());
        assertArrayEquals(pair.typeIds(), fromString.encodePair("a", "bc", true).typeIds());
    }

    @Test
    void bertRobertaSequenceAndByteLevelProcessors() {
        HuggingFaceTokenizer bert = tokenizer("null", "null", WORDS_MODEL,
                "{\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 9], \"cls\": [\"[CLS]\", 8]}", "null", SPECIALS);
        assertArrayEquals(new int[]{8, 0, 9, 1, 9}, bert.encodePair("a", "b", true).ids());
        assertArrayEquals(new int[]{0, 0, 0, 1, 1}, bert.encodePair("a", "b", true).typeIds());
        HuggingFaceTokenizer roberta = tokenizer("null", "null", WORDS_MODEL,
                "{\"type\": \"RobertaProcessing\", \"sep\": [\"[SEP]\", 9], \"cls\": [\"[CLS]\", 8], \"trim_offsets\": true, \"add_prefix_space\": false}",
                "null", SPECIALS);
        assertArrayEquals(new int[]{8, 0, 9, 9, 1, 9}, roberta.encodePair("a", "b", true).ids());
        assertArrayEquals(new int[6], roberta.encodePair("a", "b", true).typeIds());
        // ByteLevel trims the leading space out of the offsets of "Ġb"
        String model = "{\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"Ġ\": 2, \"Ġb\": 3}, \"merges\": [\"Ġ b\"]}";
        String pre = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}";
        HuggingFaceTokenizer bl = tokenizer("null", pre, model,
                "{\"type\": \"Sequence\", \"processors\": [{\"type\": \"ByteLevel\", \"trim_offsets\": true, \"add_prefix_space\": false},"
                        + " {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 5], \"cls\": [\"[CLS]\", 4]}]}",
                "{\"type\": \"ByteLevel\"}", "[" + added(4, "[CLS]", "") + "," + added(5, "[SEP]", "") + "]");
        Encoding e = bl.encode("a b", true);
        assertArrayEquals(new int[]{4, 0, 3, 5}, e.ids());
        assertArrayEquals(new int[]{2, 3}, e.offsets()[2]);
        assertEquals("a b", bl.decode(e.ids(), true));
        assertEquals("[CLS]a b[SEP]", bl.decode(e.ids(), false));
    }

    @Test
    void truncationCountsSpecialTokensAndCutsLongestFirst() {
        HuggingFaceTokenizer t = FixtureTokenizers.MODERNBERT_STYLE;
        int[] full = t.encode("The future of artificial intelligence is", true).ids();
        assertArrayEquals(new int[]{50281, 464, 2003, 50282}, t.encode("The future of artificial intelligence is", true, 4).ids());
        assertArrayEquals(new int[]{464, 2003, 286, 11666}, t.encode("The future of artificial intelligence is", false, 4).ids());
        assertArrayEquals(full, t.encode("The future of artificial intelligence is", true, 100).ids());
        // pair: 6 + 2 tokens, budget 7 - 3 specials = 4 -> the longer first loses tokens until 2 + 2
        Encoding pair = t.encodePair("The future of artificial intelligence is", "Hello world", true, 7);
        assertArrayEquals(new int[]{50281, 464, 2003, 50282, 15496, 995, 50282}, pair.ids());
        assertThrows(ModernBertException.class, () -> t.encode("Hello", true, 1));
    }

    // ---- decoders

    static List<String> chain(Decoders.Decoder d, String... tokens) {
        return d.decodeChain(Arrays.asList(tokens));
    }

    @Test
    void byteLevelDecodingIsLossyLikeRust() {
        byte[] bytes = {'H', 'i', (byte) 0xF0, (byte) 0x90, (byte) 0x80, 'W'};
        assertEquals("Hi\uFFFDW", ByteLevelAlphabet.decodeLossy(bytes, bytes.length));
        byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
        assertEquals("\uFFFD\uFFFD\uFFFD", ByteLevelAlphabet.decodeLossy(surrogate, 3));
        byte[] truncated = {'a', (byte) 0xE2, (byte) 0x82};
        assertEquals("a\uFFFD", ByteLevelAlphabet.decodeLossy(truncated, 3));
        byte[] overlong = {(byte) 0xC0, (byte) 0xAF, 'x'};
        assertEquals("\uFFFD\uFFFDx", ByteLevelAlphabet.decodeLossy(overlong, 3));
        byte[] valid = "naïve 👋".getBytes(StandardCharsets.UTF_8);
        assertEquals("naïve 👋", ByteLevelAlphabet.decodeLossy(valid, valid.length));
        // "👋" is F0 9F 91 8B: only its first two bytes -> one U+FFFD
        assertEquals(List.of("\uFFFD"), chain(new Decoders.ByteLevel(), "ðŁ"));
        assertEquals(List.of("Hello world"), chain(new Decoders.ByteLevel(), "Hello", "Ġworld"));
    }

    @Test
    void otherDecoders() {
        assertEquals(List.of(" hey", "you"), chain(new Decoders.Replace(new Patterns.Literal("▁"), " "), "▁hey", "you"));
        assertEquals(List.of("ey", " friend!", "HH"), chain(new Decoders.Strip('H', 1, 0), "Hey", " friend!", "HHH"));
        assertEquals(List.of("He", " friend!"), chain(new Decoders.Strip('y', 0, 1), "Hey", " friend!"));
        assertEquals(List.of("abc"), chain(new Decoders.Fuse(), "a", "b", "c"));
        assertEquals(List.of("aé", "b"), chain(new Decoders.ByteFallback(), "<0x61>", "<0xC3>", "<0xA9>", "b"));
        assertEquals(List.of("\uFFFD", "b", "\uFFFD"), chain(new Decoders.ByteFallback(), "<0xC3>", "b", "<0xFF>"));
        assertEquals(List.of("Hey", " friend!"), chain(new Decoders.Metaspace('▁', PreTokenizers.PrependScheme.ALWAYS), "▁Hey", "▁friend!"));
        assertEquals(List.of(" Hey", " friend!"), chain(new Decoders.Metaspace('▁', PreTokenizers.PrependScheme.NEVER), "▁Hey", "▁friend!"));
        assertEquals(List.of("hello", "world", "!", " it", "'s"),
                chain(new Decoders.WordPiece("##", true), "hello", "##world", "!", "it", "'s"));
        Decoders.Decoder llama = new Decoders.Sequence(List.of(new Decoders.Replace(new Patterns.Literal("▁"), " "),
                new Decoders.ByteFallback(), new Decoders.Fuse(), new Decoders.Strip(' ', 1, 0)));
        assertEquals(List.of("Hey é"), chain(llama, "▁Hey", "▁", "<0xC3>", "<0xA9>"));
    }

    // ---- load errors

    @Test
    void unknownComponentTypesFailAtLoadNamingTypeAndPlace() {
        String pre = "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Whitespace\"}, {\"type\": \"Foo\"}]}";
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> tokenizer("null", pre, WORDS_MODEL, "null", "null", "[]"));
        assertTrue(e.getMessage().startsWith("tokenizer.json: pre_tokenizer.pretokenizers[1]: unknown type 'Foo'"), e.getMessage());
        e = assertThrows(ModernBertException.class, () -> tokenizer("{\"type\": \"Bar\"}", "null", WORDS_MODEL, "null", "null", "[]"));
        assertTrue(e.getMessage().startsWith("tokenizer.json: normalizer: unknown type 'Bar'"), e.getMessage());
        e = assertThrows(ModernBertException.class, () -> tokenizer("null", "null", "{\"type\": \"Unigram\", \"vocab\": []}", "null", "null", "[]"));
        assertTrue(e.getMessage().startsWith("tokenizer.json: model: unknown type 'Unigram'"), e.getMessage());
        e = assertThrows(ModernBertException.class, () -> tokenizer("null", "null", WORDS_MODEL, "null",
                "{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"CTC\"}]}", "[]"));
        assertTrue(e.getMessage().startsWith("tokenizer.json: decoder.decoders[0]: unknown type 'CTC'"), e.getMessage());
        e = assertThrows(ModernBertException.class, () -> bpe(ABC_VOCAB, "[\"a z\"]", ""));
        assertTrue(e.getMessage().startsWith("tokenizer.json: model.merges[0]: token 'z' is not in model.vocab"), e.getMessage());
        e = assertThrows(ModernBertException.class, () -> HuggingFaceTokenizer.fromJson("{not json", null, "tokenizer.json", "c"));
        assertTrue(e.getMessage().startsWith("tokenizer.json: not valid JSON"), e.getMessage());
    }

    @Test
    void vocabularyLookupsAndSpecialTokens() {
        HuggingFaceTokenizer t = FixtureTokenizers.MODERNBERT_STYLE;
        assertEquals(50368, t.vocabSize());
        assertEquals(50284, t.tokenToId("[MASK]"));
        assertEquals(15496, t.tokenToId("Hello"));
        assertEquals("Hello", t.idToToken(15496));
        assertEquals(null, t.tokenToId("no such token"));
        assertTrue(t.isSpecial(50281));
        assertTrue(!t.isSpecial(50257), "the space-run added tokens are not special");
        assertEquals(50281, t.specialTokens().bosTokenId());
        assertEquals(50282, t.specialTokens().eosTokenId());
        assertEquals(50283, t.specialTokens().padTokenId());
        assertEquals(50280, t.specialTokens().unkTokenId());
        assertEquals(50284, t.specialTokens().maskTokenId());
        assertEquals(8192, t.specialTokens().modelMaxLength());
        assertEquals(4092, FixtureTokenizers.KJV.specialTokens().sepTokenId());
        assertEquals(1024, FixtureTokenizers.KJV.specialTokens().modelMaxLength());
    }
}
