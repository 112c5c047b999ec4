package org.modernbert.core.generation;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextStreamerTest {
    private final List<String> pieces = new ArrayList<>();
    private final List<Boolean> ends = new ArrayList<>();

    private TextStreamer streamer(PieceTokenizer tok) {
        return new TextStreamer(tok, (seq, text, end) -> {
            pieces.add(text);
            ends.add(end);
        });
    }

    @Test
    void flushesUpToTheLastSpaceAndTheRestAtTheEnd() {
        PieceTokenizer tok = new PieceTokenizer("Hel", "lo", " wor", "ld", " ", "!");
        TextStreamer s = streamer(tok);
        for (String p : List.of("Hel", "lo", " wor", "ld", " ", "!")) {
            s.put(0, tok.id(p));
        }
        assertEquals(List.of("Hello ", "world "), pieces);
        s.end(0, FinishReason.LENGTH);
        assertEquals(List.of("Hello ", "world ", "!"), pieces);
        assertEquals(List.of(false, false, true), ends);
    }

    @Test
    void flushesEverythingOnNewlineAndCjk() {
        PieceTokenizer tok = new PieceTokenizer("ab", "c\n", "de", "中");
        TextStreamer s = streamer(tok);
        s.put(0, tok.id("ab"));
        s.put(0, tok.id("c\n"));
        s.put(0, tok.id("de"));
        s.put(0, tok.id("中"));
        s.end(0, FinishReason.EOS);
        assertEquals(List.of("abc\n", "de中", ""), pieces);
    }

    @Test
    void neverSplitsAMultiByteCharacterAndSkipsSpecialTokens() {
        PieceTokenizer tok = new PieceTokenizer("x", " ");
        byte[] euro = "€".getBytes(java.nio.charset.StandardCharsets.UTF_8); // 3 bytes
        int first = tok.addBytes(euro[0], euro[1]);
        int last = tok.addBytes(euro[2]);
        TextStreamer s = streamer(tok);
        s.put(0, tok.id("x"));
        s.put(0, first);       // "x" + incomplete char: held back
        s.put(0, last);        // "x€"
        s.put(0, 1);           // eos: special, skipped
        s.put(0, tok.id(" "));  // now "x€ " flushes
        s.end(0, FinishReason.EOS);
        String all = String.join("", pieces);
        assertEquals("x€ ", all);
        assertTrue(pieces.stream().noneMatch(p -> p.contains("\uFFFD")), pieces.toString());
    }

    @Test
    void keepsSequencesApart() {
        PieceTokenizer tok = new PieceTokenizer("a ", "b ");
        List<String> log = new ArrayList<>();
        TextStreamer s = new TextStreamer(tok, (seq, text, end) -> log.add(seq + ":" + text));
        s.put(0, tok.id("a "));
        s.put(1, tok.id("b "));
        s.put(0, tok.id("a "));
        assertEquals(List.of("0:a ", "1:b ", "0:a "), log);
    }
}
