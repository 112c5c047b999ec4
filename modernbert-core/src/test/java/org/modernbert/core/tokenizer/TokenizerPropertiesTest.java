package org.modernbert.core.tokenizer;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.modernbert.api.tokenizer.Encoding;

import java.text.Normalizer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random Unicode text: the tokenizers never throw, and byte-level BPE round-trips to NFC(text). */
class TokenizerPropertiesTest {
    private static final List<String> SPECIALS = List.of("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "<|endoftext|>");

    @Provide
    Arbitrary<String> unicodeText() {
        Arbitrary<String> fragment = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(8)),
                net.jqwik.api.Tuple.of(3, Arbitraries.strings().withChars(' ', '\t', '\n', '\r', '\u00A0', '\u3000', '\u2028').ofMaxLength(30)),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange('\u0300', '\u036F').ofMaxLength(3)),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange('\u0000', '\u001F').ofMaxLength(3)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x10000, 0x10FFFF)
                        .filter(Character::isValidCodePoint).map(Character::toString)),
                net.jqwik.api.Tuple.of(2, Arbitraries.of("👋🏽", "👨\u200d👩\u200d👧", "🇫🇷", "𝔘𝔫", "日本語", "Здравствуй", "مرحبا", "\u1112\u1161\u11AB")),
                net.jqwik.api.Tuple.of(2, Arbitraries.of("[MA", "[SEP", "[CL", "<|endof", "MASK]", "[unused", "|>", "Ġ", "Ċ", "'s", "'LL")),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 0xFFFF)
                        .filter(c -> c < 0xD800 || c > 0xDFFF).map(Character::toString).list().ofMaxSize(4)
                        .map(l -> String.join("", l))),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().numeric().ofMaxLength(12)));
        return fragment.list().ofMaxSize(12).map(l -> String.join("", l));
    }

    @Provide
    Arbitrary<String> withSpecials() {
        return Arbitraries.oneOf(unicodeText(), Arbitraries.of(SPECIALS)).list().ofMaxSize(6).map(l -> String.join("", l));
    }

    @Property(tries = 400)
    void roundTripsToNfcWithoutSpecialTokens(@ForAll("unicodeText") String text) {
        HuggingFaceTokenizer tok = FixtureTokenizers.MODERNBERT_STYLE;
        if (SPECIALS.stream().anyMatch(text::contains)) {
            return;
        }
        Encoding e = tok.encode(text, false);
        assertEquals(Normalizer.normalize(text, Normalizer.Form.NFC), tok.decode(e.ids(), false));
        for (int[] o : e.offsets()) {
            assertTrue(0 <= o[0] && o[0] <= o[1] && o[1] <= text.length(), "offsets within the text");
        }
        int[] prompt = tok.encodeForGeneration(text);
        assertEquals(e.length() + 1, prompt.length);
        assertEquals(50281, prompt[0]);
    }

    @Property(tries = 300)
    void neverThrowsAndKeepsTheTemplate(@ForAll("withSpecials") String text) {
        for (HuggingFaceTokenizer tok : List.of(FixtureTokenizers.MODERNBERT_STYLE, FixtureTokenizers.KJV)) {
            Encoding with = tok.encode(text, true);
            Encoding without = tok.encode(text, false);
            int[] inner = java.util.Arrays.copyOfRange(with.ids(), 1, 1 + without.length());
            assertArrayEquals(without.ids(), inner);
            tok.decode(with.ids(), true);
            tok.decode(with.ids(), false);
            tok.encodePair(text, text, true);
            tok.encodeForGeneration(text);
            assertEquals(with.length(), with.tokens().length);
            assertEquals(with.length(), with.offsets().length);
        }
    }

    @Property(tries = 300)
    void arbitraryUtf16IncludingLoneSurrogatesNeverThrows(@ForAll String text) {
        HuggingFaceTokenizer tok = FixtureTokenizers.MODERNBERT_STYLE;
        Encoding e = tok.encode(text, true);
        tok.decode(e.ids(), false);
        tok.encode(text, true, 8);
    }
}
