package org.modernbert.core.tokenizer;

import java.util.List;
import java.util.Map;

/** The post-processors of {@code tokenizer.json}: special tokens, type ids, offset trimming. */
final class PostProcessors {
    private PostProcessors() {
    }

    interface PostProcessor {
        /** How many tokens {@link #process} adds with special tokens on. */
        int addedTokens(boolean pair);

        /** Post-processes the encodings (each sequence separately, not yet merged). */
        List<Sequence> processEach(List<Sequence> encodings, boolean addSpecialTokens);
    }

    /** Merges the post-processed encodings into one. */
    static Sequence process(PostProcessor p, Sequence first, Sequence second, boolean addSpecialTokens) {
        List<Sequence> in = second == null ? List.of(first) : List.of(first, second);
        List<Sequence> processed = p == null ? in : p.processEach(new java.util.ArrayList<>(in), addSpecialTokens);
        if (processed.size() == 1) {
            return processed.get(0);
        }
        Sequence out = new Sequence(first.length() + (second == null ? 0 : second.length()) + 4);
        for (Sequence s : processed) {
            out.addAll(s);
        }
        return out;
    }

    /** A special token of a template: its ids and token strings. */
    record SpecialToken(String id, int[] ids, String[] tokens) {
    }

    sealed interface Piece permits SequencePiece, SpecialPiece {
    }

    /** {@code $A} or {@code $B} with a type id. */
    record SequencePiece(boolean first, int typeId) implements Piece {
    }

    record SpecialPiece(String id, int typeId) implements Piece {
    }

    record Template(List<Piece> single, List<Piece> pair, Map<String, SpecialToken> specialTokens) implements PostProcessor {
        @Override
        public int addedTokens(boolean isPair) {
            int n = 0;
            for (Piece p : isPair ? pair : single) {
                if (p instanceof SpecialPiece s) {
                    n += specialTokens.get(s.id()).ids().length;
                }
            }
            return n;
        }

        @Override
        public List<Sequence> processEach(List<Sequence> encodings, boolean addSpecialTokens) {
            List<Piece> template = encodings.size() == 1 ? single : pair;
            Sequence out = new Sequence(encodings.get(0).length() + 8);
            for (Piece piece : template) {
                switch (piece) {
                    case SequencePiece s -> {
                        Sequence seq = encodings.get(s.first() ? 0 : 1);
                        seq.setTypeIds(s.typeId());
                        out.addAll(seq);
                    }
                    case SpecialPiece s -> {
                        if (addSpecialTokens) {
                            SpecialToken tok = specialTokens.get(s.id());
                            for (int k = 0; k < tok.ids().length; k++) {
                                out.add(tok.ids()[k], tok.tokens()[k], s.typeId(), true, 0, 0);
                            }
                        }
                    }
                }
            }
            return List.of(out);
        }
    }

    /** {@code [CLS] A [SEP]} / {@code [CLS] A [SEP] B [SEP]}. */
    record Bert(String sep, int sepId, String cls, int clsId) implements PostProcessor {
        @Override
        public int addedTokens(boolean pair) {
            return pair ? 3 : 2;
        }

        @Override
        public List<Sequence> processEach(List<Sequence> encodings, boolean addSpecialTokens) {
            if (!addSpecialTokens) {
                return encodings;
            }
            Sequence first = encodings.get(0);
            Sequence out = new Sequence(first.length() + 4);
            out.add(clsId, cls, 0, true, 0, 0);
            first.setTypeIds(0);
            out.addAll(first);
            out.add(sepId, sep, 0, true, 0, 0);
            if (encodings.size() > 1) {
                Sequence second = encodings.get(1);
                second.setTypeIds(1);
                out.addAll(second);
                out.add(sepId, sep, 1, true, 0, 0);
            }
            return List.of(out);
        }
    }

    /** {@code <s> A </s>} / {@code <s> A </s></s> B </s>}, all type ids 0, optional offset trimming. */
    record Roberta(String sep, int sepId, String cls, int clsId, boolean trimOffsets, boolean addPrefixSpace) implements PostProcessor {
        @Override
        public int addedTokens(boolean pair) {
            return pair ? 4 : 2;
        }

        @Override
        public List<Sequence> processEach(List<Sequence> encodings, boolean addSpecialTokens) {
            for (Sequence s : encodings) {
                if (trimOffsets) {
                    ByteLevel.trimOffsets(s, addPrefixSpace);
                }
                s.setTypeIds(0);
            }
            if (!addSpecialTokens) {
                return encodings;
            }
            Sequence first = encodings.get(0);
            Sequence out = new Sequence(first.length() + 4);
            out.add(clsId, cls, 0, true, 0, 0);
            out.addAll(first);
            out.add(sepId, sep, 0, true, 0, 0);
            if (encodings.size() > 1) {
                out.add(sepId, sep, 0, true, 0, 0);
                out.addAll(encodings.get(1));
                out.add(sepId, sep, 0, true, 0, 0);
            }
            return List.of(out);
        }
    }

    /** Only trims the offsets of tokens so they exclude the spaces byte-level tokens carry. */
    record ByteLevel(boolean trimOffsets, boolean addPrefixSpace) implements PostProcessor {
        @Override
        public int addedTokens(boolean pair) {
            return 0;
        }

        @Override
        public List<Sequence> processEach(List<Sequence> encodings, boolean addSpecialTokens) {
            if (trimOffsets) {
                for (Sequence s : encodings) {
                    trimOffsets(s, addPrefixSpace);
                }
            }
            return encodings;
        }

        /** HF {@code byte_level::process_offsets}. */
        static void trimOffsets(Sequence s, boolean addPrefixSpace) {
            char space = ByteLevelAlphabet.BYTE_TO_CHAR[' '];
            for (int i = 0; i < s.length(); i++) {
                String token = s.tokens.get(i);
                int leading = 0;
                while (leading < token.length() && (token.charAt(leading) == space || Chars.isWhitespace(token.charAt(leading)))) {
                    leading++;
                }
                int trailing = 0;
                while (trailing < token.length()
                        && (token.charAt(token.length() - 1 - trailing) == space || Chars.isWhitespace(token.charAt(token.length() - 1 - trailing)))) {
                    trailing++;
                }
                if (leading == 0 && trailing == 0) {
                    continue;
                }
                int start = s.starts.get(i);
                int end = s.ends.get(i);
                if (leading > 0) {
                    boolean isFirst = i == 0 || start == 0;
                    if (isFirst && addPrefixSpace && leading == 1) {
                        leading = 0;
                    }
                }
                int newStart = Math.min(start + leading, end);
                int newEnd = Math.max(end - trailing, newStart);
                s.starts.set(i, newStart);
                s.ends.set(i, newEnd);
            }
        }
    }

    record SequenceProcessor(List<PostProcessor> processors) implements PostProcessor {
        @Override
        public int addedTokens(boolean pair) {
            int n = 0;
            for (PostProcessor p : processors) {
                n += p.addedTokens(pair);
            }
            return n;
        }

        @Override
        public List<Sequence> processEach(List<Sequence> encodings, boolean addSpecialTokens) {
            for (PostProcessor p : processors) {
                encodings = p.processEach(encodings, addSpecialTokens);
            }
            return encodings;
        }
    }
}
