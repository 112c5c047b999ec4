package org.modernbert.core.tokenizer;

import org.modernbert.api.IoErrors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.Encoding;
import org.modernbert.api.tokenizer.SpecialTokens;
import org.modernbert.api.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer in pure Java, with the ids, tokens and decoded text of
 * the Rust {@code tokenizers} library. The pipeline is HF's: added tokens are split off first (leftmost
 * longest), the remaining text is normalized, pre-tokenized and run through the BPE model, then the
 * post-processor adds special tokens. Offsets are UTF-16 char indices into the original text
 * ({@code text.substring(start, end)}), which differs from HF Python's code-point offsets only for
 * text with supplementary characters.
 *
 * <p>Immutable and thread-safe (the BPE word cache is a bounded concurrent map).
 */
public final class HuggingFaceTokenizer implements Tokenizer {
    private static final Logger LOG = LogManager.getLogger(HuggingFaceTokenizer.class);

    private final Normalizers.Normalizer normalizer;
    private final PreTokenizers.PreTokenizer preTokenizer;
    private final BpeModel model;
    private final PostProcessors.PostProcessor postProcessor;
    private final Decoders.Decoder decoder;
    private final Map<Integer, AddedVocabulary.AddedToken> addedById;
    private final Map<String, AddedVocabulary.AddedToken> addedByContent;
    private final AddedVocabulary.Matcher originalMatcher;
    private final AddedVocabulary.Matcher normalizedMatcher;
    private final java.util.Set<String> specialContents;
    private final Truncation defaultTruncation;
    private final Padding padding;
    private final SpecialTokens specialTokens;
    private final int vocabSize;
    private final int maxTokenId;

    HuggingFaceTokenizer(TokenizerLoader.Components c, SpecialTokensFactory specials) {
        this.normalizer = c.normalizer();
        this.preTokenizer = c.preTokenizer();
        this.model = c.model();
        this.postProcessor = c.postProcessor();
        this.decoder = c.decoder();
        this.defaultTruncation = c.truncation();
        this.padding = c.padding();
        this.specialContents = c.specialAddedContents();
        Map<Integer, AddedVocabulary.AddedToken> byId = new java.util.HashMap<>();
        Map<String, AddedVocabulary.AddedToken> byContent = new java.util.HashMap<>();
        List<AddedVocabulary.AddedToken> original = new ArrayList<>();
        List<String> originalPatterns = new ArrayList<>();
        List<AddedVocabulary.AddedToken> normalized = new ArrayList<>();
        List<String> normalizedPatterns = new ArrayList<>();
        for (AddedVocabulary.AddedToken t : c.addedTokens()) {
            byId.put(t.id(), t);
            byContent.put(t.content(), t);
            if (t.normalized()) {
                normalized.add(t);
                normalizedPatterns.add(normalizer == null ? t.content()
                        : normalizer.normalize(NormalizedString.identity(t.content(), 0)).text());
            } else {
                original.add(t);
                originalPatterns.add(t.content());
            }
        }
        this.addedById = Map.copyOf(byId);
        this.addedByContent = Map.copyOf(byContent);
        this.originalMatcher = new AddedVocabulary.Matcher(original, originalPatterns);
        this.normalizedMatcher = new AddedVocabulary.Matcher(normalized, normalizedPatterns);
        // HF get_vocab_size(true): the model's tokens plus the added contents the model does not have
        int size = model.vocabSize();
        for (AddedVocabulary.AddedToken t : c.addedTokens()) {
            if (model.tokenToId(t.content()) == null) {
                size++;
            }
        }
        this.vocabSize = size;
        int max = model.maxId();
        for (AddedVocabulary.AddedToken t : c.addedTokens()) {
            max = Math.max(max, t.id());
        }
        this.maxTokenId = max;
        this.specialTokens = specials.create(this);
    }

    /** Factory for the special tokens, which need the id look-ups of the finished tokenizer. */
    interface SpecialTokensFactory {
        SpecialTokens create(HuggingFaceTokenizer tokenizer);
    }

    /** Loads {@code tokenizer.json} and (if present) {@code tokenizer_config.json} from a model folder. */
    public static HuggingFaceTokenizer load(Path modelFolder) {
        Path json = modelFolder.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new ModernBertException(json + ": missing; a Hugging Face model folder needs tokenizer.json for text input");
        }
        Path config = modelFolder.resolve("tokenizer_config.json");
        return load(json, Files.isRegularFile(config) ? config : null);
    }

    /** Loads a tokenizer; {@code tokenizerConfigJson} may be null (then no special-token names are known). */
    public static HuggingFaceTokenizer load(Path tokenizerJson, Path tokenizerConfigJson) {
        long t0 = System.nanoTime();
        String json;
        String config;
        try {
            json = Files.readString(tokenizerJson);
            config = tokenizerConfigJson == null ? null : Files.readString(tokenizerConfigJson);
        } catch (IOException e) {
            throw new ModernBertException("cannot read tokenizer files " + tokenizerJson
                    + (tokenizerConfigJson == null ? "" : " / " + tokenizerConfigJson) + ": " + IoErrors.reason(e), e);
        }
        HuggingFaceTokenizer t = fromJson(json, config, tokenizerJson.getFileName().toString(),
                tokenizerConfigJson == null ? "tokenizer_config.json" : tokenizerConfigJson.getFileName().toString());
        LOG.debug("loaded {} ({} tokens) in {} ms", tokenizerJson, t.vocabSize(), (System.nanoTime() - t0) / 1_000_000);
        return t;
    }

    /** Parses tokenizer.json text (and optional tokenizer_config.json text); names are used in error messages. */
    public static HuggingFaceTokenizer fromJson(String tokenizerJson, String tokenizerConfigJson, String jsonName, String configName) {
        TokenizerLoader.Components c = TokenizerLoader.parse(tokenizerJson, jsonName);
        return new HuggingFaceTokenizer(c, tok -> TokenizerLoader.parseSpecialTokens(tokenizerConfigJson, configName, tok));
    }

    /** Encodes one text; the padding section of tokenizer.json applies as in HF (Fixed and pad_to_multiple_of pad it). */
    @Override
    public Encoding encode(String text, boolean addSpecialTokens) {
        return padded(encodeInternal(text, null, addSpecialTokens, defaultTruncation).toEncoding());
    }

    /** Encodes and truncates to {@code maxLength} tokens in total (special tokens included), as HF. */
    @Override
    public Encoding encode(String text, boolean addSpecialTokens, int maxLength) {
        return padded(encodeInternal(text, null, addSpecialTokens, Truncation.longestFirst(maxLength)).toEncoding());
    }

    @Override
    public Encoding encodePair(String first, String second, boolean addSpecialTokens) {
        return padded(encodeInternal(first, second, addSpecialTokens, defaultTruncation).toEncoding());
    }

    /** Encodes a pair truncated to {@code maxLength} tokens with HF's longest-first strategy. */
    @Override
    public Encoding encodePair(String first, String second, boolean addSpecialTokens, int maxLength) {
        return padded(encodeInternal(first, second, addSpecialTokens, Truncation.longestFirst(maxLength)).toEncoding());
    }

    /** Encodes with explicit truncation options (null: none); padding as configured. */
    public Encoding encode(String first, String second, boolean addSpecialTokens, Truncation truncation) {
        return padded(encodeInternal(first, second, addSpecialTokens, truncation).toEncoding());
    }

    /**
     * Encodes several texts as HF {@code encode_batch}: each as {@link #encode(String, boolean)}, then, when
     * tokenizer.json has a padding section, every row padded to the same length (the longest row for
     * BatchLongest, the fixed length otherwise, rounded up to pad_to_multiple_of), on the configured side,
     * with attention mask 0 at the pads. Without a padding section rows keep their own lengths.
     */
    @Override
    public List<Encoding> encodeBatch(List<String> texts, boolean addSpecialTokens) {
        List<Encoding> rows = (texts.size() < 2 ? texts.stream() : texts.parallelStream())
                .map(t -> encodeInternal(t, null, addSpecialTokens, defaultTruncation).toEncoding()).toList();
        if (padding == null || rows.isEmpty()) {
            return rows;
        }
        int longest = 0;
        for (Encoding e : rows) {
            longest = Math.max(longest, e.length());
        }
        int target = padding.targetLength(longest);
        return rows.stream().map(e -> padding.pad(e, target)).toList();
    }

    private Encoding padded(Encoding e) {
        return padding == null ? e : padding.pad(e, padding.targetLength(e.length()));
    }

    /**
     * Ids of a prompt for generation: the bos token (else the cls token) followed by the prompt's ids
     * without special tokens. The post-processor template is NOT applied: for ModernBERT decoders it is
     * {@code [CLS] $A [SEP]}, and {@code [SEP]} is the decoder's eos, so a templated prompt would end the
     * sequence before generation starts; HF transformers' Python tokenizer adds only {@code [CLS]} here.
     * If tokenizer_config.json names neither a bos nor a cls token, the ids have no prefix.
     */
    @Override
    public int[] encodeForGeneration(String prompt) {
        int[] ids = encodeInternal(prompt, null, false, null).ids.toArray();
        Integer prefix = specialTokens.bosTokenId() != null ? specialTokens.bosTokenId() : specialTokens.clsTokenId();
        if (prefix == null) {
            return ids;
        }
        int[] out = new int[ids.length + 1];
        out[0] = prefix;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /**
     * Decodes as HF {@code tokenizers}: an id that is neither an added token nor in the model vocabulary
     * (negative, past the vocabulary, or a gap in it) is skipped; with {@code skipSpecialTokens}, tokens
     * whose content was added as special are skipped too.
     */
    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = idToToken(id);
            if (token == null || skipSpecialTokens && specialContents.contains(token)) {
                continue;
            }
            tokens.add(token);
        }
        if (decoder == null) {
            return String.join(" ", tokens);
        }
        return String.join("", decoder.decodeChain(tokens));
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The largest id this tokenizer can produce (vocabulary or added token), or -1 when it has none: a model's
     * embedding needs more than this many rows. Not {@code vocabSize() - 1} when the ids have gaps.
     */
    public int maxTokenId() {
        return maxTokenId;
    }

    @Override
    public Integer tokenToId(String token) {
        AddedVocabulary.AddedToken added = addedByContent.get(token);
        return added != null ? Integer.valueOf(added.id()) : model.tokenToId(token);
    }

    @Override
    public String idToToken(int id) {
        AddedVocabulary.AddedToken added = addedById.get(id);
        return added != null ? added.content() : model.idToToken(id);
    }

    @Override
    public boolean isSpecial(int id) {
        String token = idToToken(id);
        return token != null && specialContents.contains(token);
    }

    @Override
    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    /** The truncation configured in tokenizer.json, or null. */
    public Truncation defaultTruncation() {
        return defaultTruncation;
    }

    /** The padding configured in tokenizer.json, or null (then encodings are never padded). */
    public Padding padding() {
        return padding;
    }

    private Sequence encodeInternal(String first, String second, boolean addSpecialTokens, Truncation truncation) {
        if (first == null) {
            throw new ModernBertException("cannot encode null text");
        }
        Sequence a = encodeSequence(first, 0);
        Sequence b = second == null ? null : encodeSequence(second, 1);
        if (truncation != null) {
            int added = addSpecialTokens && postProcessor != null ? postProcessor.addedTokens(b != null) : 0;
            if (truncation.maxLength() < added) {
                throw new ModernBertException("truncation max_length " + truncation.maxLength() + " is smaller than the "
                        + added + " special tokens the post-processor adds");
            }
            Sequence[] cut = truncation.apply(a, b, truncation.maxLength() - added);
            a = cut[0];
            b = cut[1];
        }
        return PostProcessors.process(postProcessor, a, b, addSpecialTokens);
    }

    /** Added tokens, then normalizer, pre-tokenizer and model on the text between them. */
    private Sequence encodeSequence(String text, int typeId) {
        Sequence out = new Sequence(Math.max(8, text.length() / 3));
        IntList pieces = new IntList(16);
        originalMatcher.findMatches(text, pieces);
        IntList inner = new IntList(16);
        List<NormalizedString> words = new ArrayList<>();
        for (int p = 0; p < pieces.size(); p += 3) {
            int token = pieces.get(p);
            int start = pieces.get(p + 1);
            int end = pieces.get(p + 2);
            if (token >= 0) {
                out.add(originalMatcher.token(token).id(), text.substring(start, end), typeId, false, start, end);
                continue;
            }
            NormalizedString ns = NormalizedString.identity(text.substring(start, end), start);
            if (normalizer != null) {
                ns = normalizer.normalize(ns);
            }
            inner.clear();
            normalizedMatcher.findMatches(ns.text(), inner);
            for (int q = 0; q < inner.size(); q += 3) {
                int t = inner.get(q);
                int from = inner.get(q + 1);
                int to = inner.get(q + 2);
                if (t >= 0) {
                    out.add(normalizedMatcher.token(t).id(), ns.text().substring(from, to), typeId, false,
                            ns.rangeStart(from, to), ns.rangeEnd(from, to));
                    continue;
                }
                NormalizedString piece = ns.slice(from, to);
                words.clear();
                if (preTokenizer == null) {
                    words.add(piece);
                } else {
                    preTokenizer.split(piece, words);
                }
                for (NormalizedString word : words) {
                    BpeModel.Word w = model.tokenize(word.text());
                    for (int k = 0; k < w.ids().length; k++) {
                        int id = w.ids()[k];
                        out.add(id, model.idToToken(id), typeId, false, word.rangeStart(w.starts()[k], w.ends()[k]),
                                word.rangeEnd(w.starts()[k], w.ends()[k]));
                    }
                }
            }
        }
        return out;
    }
}
