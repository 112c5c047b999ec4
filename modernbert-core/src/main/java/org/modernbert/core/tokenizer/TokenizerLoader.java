package org.modernbert.core.tokenizer;

import org.modernbert.api.IoErrors;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.SpecialTokens;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Reads {@code tokenizer.json} into components; every error names the file, the JSON path and the problem. */
final class TokenizerLoader {
    private static final Logger LOG = LogManager.getLogger(TokenizerLoader.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerLoader() {
    }

    record Components(Normalizers.Normalizer normalizer, PreTokenizers.PreTokenizer preTokenizer, BpeModel model,
                      PostProcessors.PostProcessor postProcessor, Decoders.Decoder decoder,
                      List<AddedVocabulary.AddedToken> addedTokens, java.util.Set<String> specialAddedContents,
                      Truncation truncation, Padding padding) {
    }

    /** Where we are in the file, for error messages. */
    private record Ctx(String file, String path) {
        Ctx at(String field) {
            return new Ctx(file, path.isEmpty() ? field : path + "." + field);
        }

        Ctx at(int index) {
            return new Ctx(file, path + "[" + index + "]");
        }

        ModernBertException error(String message) {
            return new ModernBertException(file + ": " + (path.isEmpty() ? "" : path + ": ") + message);
        }
    }

    static Components parse(String text, String file) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ModernBertException(file + ": not valid JSON at " + IoErrors.json(e));
        }
        Ctx ctx = new Ctx(file, "");
        if (root == null || !root.isObject()) {
            throw ctx.error("expected a JSON object");
        }
        Normalizers.Normalizer normalizer = optional(root, "normalizer") ? normalizer(root.get("normalizer"), ctx.at("normalizer")) : null;
        PreTokenizers.PreTokenizer pre = optional(root, "pre_tokenizer") ? preTokenizer(root.get("pre_tokenizer"), ctx.at("pre_tokenizer")) : null;
        if (!optional(root, "model")) {
            throw ctx.at("model").error("missing");
        }
        BpeModel model = model(root.get("model"), ctx.at("model"));
        AddedVocabulary.Resolved added = AddedVocabulary.resolve(addedTokens(root.get("added_tokens"), ctx.at("added_tokens")), model);
        if (!added.renumbered().isEmpty()) {
            List<String> r = added.renumbered();
            LOG.warn("{}: {} added token(s) get other ids than declared, as Hugging Face tokenizers assigns them: {}{}", file,
                    r.size(), String.join(", ", r.subList(0, Math.min(3, r.size()))), r.size() > 3 ? ", ..." : "");
        }
        Map<String, Integer> addedIds = new HashMap<>();
        for (AddedVocabulary.AddedToken t : added.tokens()) {
            addedIds.put(t.content(), t.id());
        }
        PostProcessors.PostProcessor post = optional(root, "post_processor")
                ? postProcessor(root.get("post_processor"), ctx.at("post_processor"), model, addedIds) : null;
        Decoders.Decoder decoder = optional(root, "decoder") ? decoder(root.get("decoder"), ctx.at("decoder")) : null;
        Truncation truncation = optional(root, "truncation") ? truncation(root.get("truncation"), ctx.at("truncation")) : null;
        Padding padding = optional(root, "padding") ? padding(root.get("padding"), ctx.at("padding")) : null;
        return new Components(normalizer, pre, model, post, decoder, added.tokens(), added.specialContents(), truncation, padding);
    }

    private static boolean optional(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    private static String type(JsonNode node, Ctx ctx) {
        if (!node.isObject()) {
            throw ctx.error("expected an object with a \"type\"");
        }
        JsonNode t = node.get("type");
        if (t == null || !t.isTextual()) {
            throw ctx.error("missing \"type\"");
        }
        return t.asText();
    }

    private static String string(JsonNode node, String field, Ctx ctx) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw ctx.at(field).error("expected a string");
        }
        return v.asText();
    }

    private static String optionalString(JsonNode node, String field, Ctx ctx) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ctx.at(field).error("expected a string or null");
        }
        return v.asText();
    }

    private static boolean bool(JsonNode node, String field, boolean fallback, Ctx ctx) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ctx.at(field).error("expected true or false");
        }
        return v.asBoolean();
    }

    private static int integer(JsonNode node, String field, int fallback, Ctx ctx) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw ctx.at(field).error("expected an integer");
        }
        return v.asInt();
    }

    private static JsonNode array(JsonNode node, String field, Ctx ctx) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            throw ctx.at(field).error("expected an array");
        }
        return v;
    }

    private static int singleChar(String s, Ctx ctx) {
        if (s.codePointCount(0, s.length()) != 1) {
            throw ctx.error("expected a single character, got '" + s + "'");
        }
        return s.codePointAt(0);
    }

    private static Patterns.Pattern pattern(JsonNode node, Ctx ctx) {
        if (node == null || !node.isObject()) {
            throw ctx.error("expected {\"String\": ...} or {\"Regex\": ...}");
        }
        if (node.has("String")) {
            return new Patterns.Literal(string(node, "String", ctx));
        }
        if (node.has("Regex")) {
            String regex = string(node, "Regex", ctx);
            try {
                return Patterns.Regex.compile(regex);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw ctx.at("Regex").error("invalid regex '" + regex + "': " + e.getDescription());
            }
        }
        throw ctx.error("expected {\"String\": ...} or {\"Regex\": ...}");
    }

    private static Normalizers.Normalizer normalizer(JsonNode node, Ctx ctx) {
        String type = type(node, ctx);
        return switch (type) {
            case "NFC" -> new Normalizers.Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizers.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizers.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizers.Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizers.Lowercase();
            case "Strip" -> new Normalizers.Strip(bool(node, "strip_left", true, ctx), bool(node, "strip_right", true, ctx));
            case "StripAccents" -> new Normalizers.StripAccents();
            case "Replace" -> new Normalizers.Replace(pattern(node.get("pattern"), ctx.at("pattern")), string(node, "content", ctx));
            case "Prepend" -> new Normalizers.Prepend(string(node, "prepend", ctx));
            case "Sequence" -> {
                JsonNode list = array(node, "normalizers", ctx);
                List<Normalizers.Normalizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(normalizer(list.get(i), ctx.at("normalizers").at(i)));
                }
                yield new Normalizers.Sequence(List.copyOf(steps));
            }
            default -> throw ctx.error("unknown type '" + type + "' (supported normalizers: NFC, NFD, NFKC, NFKD, "
                    + "Lowercase, Strip, StripAccents, Replace, Prepend, Sequence)");
        };
    }

    private static PreTokenizers.Behavior behavior(JsonNode node, PreTokenizers.Behavior fallback, Ctx ctx) {
        JsonNode v = node.get("behavior");
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw ctx.at("behavior").error("missing");
            }
            return fallback;
        }
        return switch (v.asText()) {
            case "Removed" -> PreTokenizers.Behavior.REMOVED;
            case "Isolated" -> PreTokenizers.Behavior.ISOLATED;
            case "MergedWithPrevious" -> PreTokenizers.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizers.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizers.Behavior.CONTIGUOUS;
            default -> throw ctx.at("behavior").error("unknown behavior '" + v.asText()
                    + "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
        };
    }

    private static PreTokenizers.PrependScheme prependScheme(JsonNode node, Ctx ctx) {
        JsonNode v = node.get("prepend_scheme");
        if (v == null || v.isNull()) {
            return bool(node, "add_prefix_space", true, ctx) ? PreTokenizers.PrependScheme.ALWAYS : PreTokenizers.PrependScheme.NEVER;
        }
        return switch (v.asText()) {
            case "always" -> PreTokenizers.PrependScheme.ALWAYS;
            case "first" -> PreTokenizers.PrependScheme.FIRST;
            case "never" -> PreTokenizers.PrependScheme.NEVER;
            default -> throw ctx.at("prepend_scheme").error("unknown prepend_scheme '" + v.asText() + "' (expected always, first or never)");
        };
    }

    private static char replacementChar(JsonNode node, Ctx ctx) {
        int cp = singleChar(string(node, "replacement", ctx), ctx.at("replacement"));
        if (cp > 0xFFFF) {
            throw ctx.at("replacement").error("replacement characters outside the BMP are not supported");
        }
        return (char) cp;
    }

    private static PreTokenizers.PreTokenizer preTokenizer(JsonNode node, Ctx ctx) {
        String type = type(node, ctx);
        return switch (type) {
            case "ByteLevel" -> new PreTokenizers.ByteLevel(bool(node, "add_prefix_space", true, ctx), bool(node, "use_regex", true, ctx));
            case "Split" -> new PreTokenizers.Split(pattern(node.get("pattern"), ctx.at("pattern")), behavior(node, null, ctx),
                    bool(node, "invert", false, ctx));
            case "Whitespace" -> new PreTokenizers.Whitespace();
            case "WhitespaceSplit" -> new PreTokenizers.WhitespaceSplit();
            case "Digits" -> new PreTokenizers.Digits(bool(node, "individual_digits", false, ctx));
            case "Punctuation" -> new PreTokenizers.Punctuation(behavior(node, PreTokenizers.Behavior.ISOLATED, ctx));
            case "Metaspace" -> new PreTokenizers.Metaspace(replacementChar(node, ctx), prependScheme(node, ctx), bool(node, "split", true, ctx));
            case "Sequence" -> {
                JsonNode list = array(node, "pretokenizers", ctx);
                List<PreTokenizers.PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(preTokenizer(list.get(i), ctx.at("pretokenizers").at(i)));
                }
                yield new PreTokenizers.Sequence(List.copyOf(steps));
            }
            default -> throw ctx.error("unknown type '" + type + "' (supported pre-tokenizers: ByteLevel, Split, "
                    + "Whitespace, WhitespaceSplit, Digits, Punctuation, Metaspace, Sequence)");
        };
    }

    private static BpeModel model(JsonNode node, Ctx ctx) {
        if (!node.isObject()) {
            throw ctx.error("expected an object");
        }
        JsonNode typeNode = node.get("type");
        String type = typeNode == null || typeNode.isNull() ? (node.has("merges") ? "BPE" : null) : typeNode.asText();
        if (!"BPE".equals(type)) {
            throw ctx.error("unknown type '" + type + "' (supported models: BPE)");
        }
        JsonNode vocabNode = node.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw ctx.at("vocab").error("expected an object of token -> id");
        }
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw ctx.at("vocab").error("id of token '" + e.getKey() + "' must be a non-negative integer");
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        String prefix = optionalString(node, "continuing_subword_prefix", ctx);
        String suffix = optionalString(node, "end_of_word_suffix", ctx);
        String unk = optionalString(node, "unk_token", ctx);
        if (unk != null && !vocab.containsKey(unk)) {
            throw ctx.at("unk_token").error("'" + unk + "' is not in model.vocab");
        }
        JsonNode dropout = node.get("dropout");
        if (dropout != null && !dropout.isNull() && dropout.asDouble() > 0) {
            LOG.warn("{}: {}.dropout = {} ignored: BPE dropout is for training; encoding is deterministic",
                    ctx.file(), ctx.path(), dropout.asDouble());
        }
        JsonNode mergesNode = node.get("merges");
        int count = mergesNode == null || mergesNode.isNull() ? 0 : mergesNode.size();
        if (mergesNode != null && !mergesNode.isNull() && !mergesNode.isArray()) {
            throw ctx.at("merges").error("expected an array");
        }
        PrimitiveMaps.LongLongMap merges = new PrimitiveMaps.LongLongMap(Math.max(count, 16));
        int prefixLen = prefix == null ? 0 : prefix.length();
        for (int rank = 0; rank < count; rank++) {
            JsonNode m = mergesNode.get(rank);
            String a;
            String b;
            if (m.isTextual()) {
                String line = m.asText();
                int space = line.indexOf(' ');
                if (space < 0 || line.indexOf(' ', space + 1) >= 0) {
                    throw ctx.at("merges").at(rank).error("expected \"left right\" with one space, got '" + line + "'");
                }
                a = line.substring(0, space);
                b = line.substring(space + 1);
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                a = m.get(0).asText();
                b = m.get(1).asText();
            } else {
                throw ctx.at("merges").at(rank).error("expected \"left right\" or [\"left\", \"right\"]");
            }
            Integer aId = vocab.get(a);
            Integer bId = vocab.get(b);
            if (aId == null || bId == null) {
                throw ctx.at("merges").at(rank).error("token '" + (aId == null ? a : b) + "' is not in model.vocab");
            }
            if (b.length() < prefixLen) {
                throw ctx.at("merges").at(rank).error("right token '" + b + "' is shorter than the continuing_subword_prefix");
            }
            String merged = a + b.substring(prefixLen);
            Integer newId = vocab.get(merged);
            if (newId == null) {
                throw ctx.at("merges").at(rank).error("merged token '" + merged + "' is not in model.vocab");
            }
            // The first occurrence of a pair wins, as in HF (later duplicates are ignored).
            merges.putIfAbsent(BpeModel.pair(aId, bId), ((long) rank << 32) | newId);
        }
        return new BpeModel(vocab, merges, unk, prefix, suffix, bool(node, "fuse_unk", false, ctx),
                bool(node, "byte_fallback", false, ctx), bool(node, "ignore_merges", false, ctx), BpeModel.DEFAULT_CACHE_CAPACITY);
    }

    private static List<AddedVocabulary.AddedToken> addedTokens(JsonNode node, Ctx ctx) {
        List<AddedVocabulary.AddedToken> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw ctx.error("expected an array");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            Ctx c = ctx.at(i);
            if (!t.isObject()) {
                throw c.error("expected an object");
            }
            JsonNode id = t.get("id");
            if (id == null || !id.canConvertToInt() || id.asInt() < 0) {
                throw c.at("id").error("expected a non-negative integer");
            }
            String content = string(t, "content", c); // an empty one is ignored, as HF does
            boolean special = bool(t, "special", false, c);
            out.add(new AddedVocabulary.AddedToken(id.asInt(), content, bool(t, "single_word", false, c),
                    bool(t, "lstrip", false, c), bool(t, "rstrip", false, c), bool(t, "normalized", !special, c), special));
        }
        return out;
    }

    private static int tokenId(String token, BpeModel model, Map<String, Integer> added, Ctx ctx) {
        Integer id = added.get(token);
        if (id == null) {
            id = model.tokenToId(token);
        }
        if (id == null) {
            throw ctx.error("token '" + token + "' is neither an added token nor in model.vocab");
        }
        return id;
    }

    /** {@code ["[SEP]", 102]} as used by Bert/Roberta processors. */
    private static Object[] tokenAndId(JsonNode node, String field, Ctx ctx) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray() || v.size() != 2 || !v.get(0).isTextual() || !v.get(1).canConvertToInt()) {
            throw ctx.at(field).error("expected [\"token\", id]");
        }
        return new Object[]{v.get(0).asText(), v.get(1).asInt()};
    }

    private static PostProcessors.PostProcessor postProcessor(JsonNode node, Ctx ctx, BpeModel model, Map<String, Integer> added) {
        String type = type(node, ctx);
        return switch (type) {
            case "TemplateProcessing" -> template(node, ctx, model, added);
            case "ByteLevel" -> new PostProcessors.ByteLevel(bool(node, "trim_offsets", true, ctx), bool(node, "add_prefix_space", true, ctx));
            case "BertProcessing" -> {
                Object[] sep = tokenAndId(node, "sep", ctx);
                Object[] cls = tokenAndId(node, "cls", ctx);
                yield new PostProcessors.Bert((String) sep[0], (Integer) sep[1], (String) cls[0], (Integer) cls[1]);
            }
            case "RobertaProcessing" -> {
                Object[] sep = tokenAndId(node, "sep", ctx);
                Object[] cls = tokenAndId(node, "cls", ctx);
                yield new PostProcessors.Roberta((String) sep[0], (Integer) sep[1], (String) cls[0], (Integer) cls[1],
                        bool(node, "trim_offsets", true, ctx), bool(node, "add_prefix_space", true, ctx));
            }
            case "Sequence" -> {
                JsonNode list = array(node, "processors", ctx);
                List<PostProcessors.PostProcessor> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(postProcessor(list.get(i), ctx.at("processors").at(i), model, added));
                }
                yield new PostProcessors.SequenceProcessor(List.copyOf(steps));
            }
            default -> throw ctx.error("unknown type '" + type + "' (supported post-processors: TemplateProcessing, "
                    + "ByteLevel, BertProcessing, RobertaProcessing, Sequence)");
        };
    }

    private static PostProcessors.Template template(JsonNode node, Ctx ctx, BpeModel model, Map<String, Integer> added) {
        Map<String, PostProcessors.SpecialToken> specials = new HashMap<>();
        JsonNode st = node.get("special_tokens");
        if (st != null && !st.isNull()) {
            if (!st.isObject()) {
                throw ctx.at("special_tokens").error("expected an object");
            }
            Iterator<Map.Entry<String, JsonNode>> it = st.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                Ctx c = ctx.at("special_tokens").at(e.getKey());
                JsonNode idsNode = array(e.getValue(), "ids", c);
                JsonNode tokensNode = array(e.getValue(), "tokens", c);
                if (idsNode.size() != tokensNode.size()) {
                    throw c.error("ids and tokens must have the same length");
                }
                int[] ids = new int[idsNode.size()];
                String[] tokens = new String[idsNode.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = idsNode.get(i).asInt();
                    tokens[i] = tokensNode.get(i).asText();
                }
                specials.put(e.getKey(), new PostProcessors.SpecialToken(e.getKey(), ids, tokens));
            }
        }
        List<PostProcessors.Piece> single = pieces(node.get("single"), ctx.at("single"), specials, model, added);
        List<PostProcessors.Piece> pair = pieces(node.get("pair"), ctx.at("pair"), specials, model, added);
        return new PostProcessors.Template(single, pair, Map.copyOf(specials));
    }

    private static List<PostProcessors.Piece> pieces(JsonNode node, Ctx ctx, Map<String, PostProcessors.SpecialToken> specials,
                                                     BpeModel model, Map<String, Integer> added) {
        List<PostProcessors.Piece> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isTextual()) {
            // The string form: "[CLS]:0 $A:0 [SEP]:0"
            String[] parts = node.asText().trim().split("\\s+");
            for (String part : parts) {
                if (part.isEmpty()) {
                    continue;
                }
                int colon = part.lastIndexOf(':');
                int typeId = 0;
                String id = part;
                if (colon > 0) {
                    try {
                        typeId = Integer.parseInt(part.substring(colon + 1));
                        id = part.substring(0, colon);
                    } catch (NumberFormatException ignored) {
                        // the colon belongs to the token
                    }
                }
                out.add(piece(id, typeId, ctx, specials, model, added));
            }
            return List.copyOf(out);
        }
        if (!node.isArray()) {
            throw ctx.error("expected an array of template pieces");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode p = node.get(i);
            Ctx c = ctx.at(i);
            if (p.has("Sequence")) {
                JsonNode s = p.get("Sequence");
                String id = string(s, "id", c.at("Sequence"));
                if (!id.equals("A") && !id.equals("B")) {
                    throw c.at("Sequence").at("id").error("expected \"A\" or \"B\", got '" + id + "'");
                }
                out.add(new PostProcessors.SequencePiece(id.equals("A"), integer(s, "type_id", 0, c.at("Sequence"))));
            } else if (p.has("SpecialToken")) {
                JsonNode s = p.get("SpecialToken");
                String id = string(s, "id", c.at("SpecialToken"));
                if (!specials.containsKey(id)) {
                    throw c.at("SpecialToken").error("special token '" + id + "' is missing from special_tokens");
                }
                out.add(new PostProcessors.SpecialPiece(id, integer(s, "type_id", 0, c.at("SpecialToken"))));
            } else {
                throw c.error("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
            }
        }
        return List.copyOf(out);
    }

    private static PostProcessors.Piece piece(String id, int typeId, Ctx ctx, Map<String, PostProcessors.SpecialToken> specials,
                                              BpeModel model, Map<String, Integer> added) {
        if (id.equals("$") || id.equals("$A") || id.equals("$0")) {
            return new PostProcessors.SequencePiece(true, typeId);
        }
        if (id.equals("$B") || id.equals("$1")) {
            return new PostProcessors.SequencePiece(false, typeId);
        }
        if (!specials.containsKey(id)) {
            int tokenId = tokenId(id, model, added, ctx);
            specials.put(id, new PostProcessors.SpecialToken(id, new int[]{tokenId}, new String[]{id}));
        }
        return new PostProcessors.SpecialPiece(id, typeId);
    }

    private static Decoders.Decoder decoder(JsonNode node, Ctx ctx) {
        String type = type(node, ctx);
        return switch (type) {
            case "ByteLevel" -> new Decoders.ByteLevel();
            case "Replace" -> new Decoders.Replace(pattern(node.get("pattern"), ctx.at("pattern")), string(node, "content", ctx));
            case "Strip" -> new Decoders.Strip(singleChar(string(node, "content", ctx), ctx.at("content")),
                    integer(node, "start", 0, ctx), integer(node, "stop", 0, ctx));
            case "Fuse" -> new Decoders.Fuse();
            case "ByteFallback" -> new Decoders.ByteFallback();
            case "Metaspace" -> new Decoders.Metaspace(replacementChar(node, ctx), prependScheme(node, ctx));
            case "WordPiece" -> new Decoders.WordPiece(node.has("prefix") ? string(node, "prefix", ctx) : "##",
                    bool(node, "cleanup", true, ctx));
            case "Sequence" -> {
                JsonNode list = array(node, "decoders", ctx);
                List<Decoders.Decoder> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(decoder(list.get(i), ctx.at("decoders").at(i)));
                }
                yield new Decoders.Sequence(List.copyOf(steps));
            }
            default -> throw ctx.error("unknown type '" + type + "' (supported decoders: ByteLevel, Replace, Strip, "
                    + "Fuse, ByteFallback, Metaspace, WordPiece, Sequence)");
        };
    }

    private static Truncation truncation(JsonNode node, Ctx ctx) {
        if (!node.isObject()) {
            throw ctx.error("expected an object");
        }
        int maxLength = integer(node, "max_length", -1, ctx);
        if (maxLength < 0) {
            throw ctx.at("max_length").error("expected a non-negative integer");
        }
        String strategy = node.has("strategy") ? node.get("strategy").asText() : "LongestFirst";
        Truncation.Strategy s = switch (strategy) {
            case "LongestFirst" -> Truncation.Strategy.LONGEST_FIRST;
            case "OnlyFirst" -> Truncation.Strategy.ONLY_FIRST;
            case "OnlySecond" -> Truncation.Strategy.ONLY_SECOND;
            default -> throw ctx.at("strategy").error("unknown strategy '" + strategy + "' (expected LongestFirst, OnlyFirst or OnlySecond)");
        };
        String direction = node.has("direction") ? node.get("direction").asText() : "Right";
        Truncation.Direction d = switch (direction) {
            case "Right" -> Truncation.Direction.RIGHT;
            case "Left" -> Truncation.Direction.LEFT;
            default -> throw ctx.at("direction").error("unknown direction '" + direction + "' (expected Right or Left)");
        };
        if (integer(node, "stride", 0, ctx) != 0) {
            LOG.debug("{}: truncation stride ignored (overflowing tokens are not returned)", ctx.file());
        }
        return new Truncation(maxLength, s, d);
    }

    /**
     * The padding section, with the fields HF requires ({@code strategy}: {@code "BatchLongest"} or
     * {@code {"Fixed": n}}; {@code direction}: {@code "Left"} or {@code "Right"}; {@code pad_id},
     * {@code pad_type_id}, {@code pad_token}) and the optional {@code pad_to_multiple_of}.
     */
    private static Padding padding(JsonNode node, Ctx ctx) {
        if (!node.isObject()) {
            throw ctx.error("expected an object");
        }
        JsonNode strategy = node.get("strategy");
        Padding.Strategy s;
        int fixed = 0;
        if (strategy != null && strategy.isTextual() && strategy.asText().equals("BatchLongest")) {
            s = Padding.Strategy.BATCH_LONGEST;
        } else if (strategy != null && strategy.isObject() && strategy.size() == 1 && strategy.has("Fixed")) {
            s = Padding.Strategy.FIXED;
            fixed = unsigned(strategy, "Fixed", ctx.at("strategy"));
        } else {
            throw ctx.at("strategy").error("expected \"BatchLongest\" or {\"Fixed\": length}, got " + strategy);
        }
        JsonNode direction = node.get("direction");
        Padding.Direction d;
        if (direction != null && direction.isTextual() && direction.asText().equals("Right")) {
            d = Padding.Direction.RIGHT;
        } else if (direction != null && direction.isTextual() && direction.asText().equals("Left")) {
            d = Padding.Direction.LEFT;
        } else {
            throw ctx.at("direction").error("expected \"Left\" or \"Right\", got " + direction);
        }
        JsonNode multiple = node.get("pad_to_multiple_of");
        int m = multiple == null || multiple.isNull() ? 0 : unsigned(node, "pad_to_multiple_of", ctx);
        return new Padding(s, fixed, d, m, unsigned(node, "pad_id", ctx), unsigned(node, "pad_type_id", ctx),
                string(node, "pad_token", ctx));
    }

    /** A required non-negative integer field. */
    private static int unsigned(JsonNode node, String field, Ctx ctx) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ctx.at(field).error("missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw ctx.at(field).error("expected a non-negative integer, got " + v);
        }
        return v.asInt();
    }

    /** Special tokens named by tokenizer_config.json ({@code "x"} or {@code {"content": "x"}}), with their ids. */
    static SpecialTokens parseSpecialTokens(String configText, String file, HuggingFaceTokenizer tokenizer) {
        if (configText == null) {
            return new SpecialTokens(null, null, null, null, null, null, null, null, null, null, null, null, null, null, Integer.MAX_VALUE);
        }
        JsonNode root;
        try {
            root = JSON.readTree(configText);
        } catch (JsonProcessingException e) {
            throw new ModernBertException(file + ": not valid JSON at " + IoErrors.json(e));
        }
        Ctx ctx = new Ctx(file, "");
        if (root == null || !root.isObject()) {
            throw ctx.error("expected a JSON object");
        }
        String[] names = {"bos_token", "eos_token", "pad_token", "unk_token", "cls_token", "sep_token", "mask_token"};
        String[] tokens = new String[names.length];
        Integer[] ids = new Integer[names.length];
        for (int i = 0; i < names.length; i++) {
            JsonNode v = root.get(names[i]);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isObject() && v.has("content")) {
                v = v.get("content");
            }
            if (!v.isTextual()) {
                throw ctx.at(names[i]).error("expected a token string or {\"content\": ...}");
            }
            tokens[i] = v.asText();
            ids[i] = tokenizer.tokenToId(tokens[i]);
            if (ids[i] == null) {
                throw ctx.at(names[i]).error("token '" + tokens[i] + "' is not in the tokenizer's vocabulary");
            }
        }
        int maxLength = Integer.MAX_VALUE;
        JsonNode m = root.get("model_max_length");
        if (m != null && !m.isNull()) {
            if (!m.isNumber() || m.asDouble() < 1) {
                throw ctx.at("model_max_length").error("expected a positive number");
            }
            maxLength = m.asDouble() >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) m.asDouble();
        }
        return new SpecialTokens(tokens[0], ids[0], tokens[1], ids[1], tokens[2], ids[2], tokens[3], ids[3], tokens[4], ids[4],
                tokens[5], ids[5], tokens[6], ids[6], maxLength);
    }
}
