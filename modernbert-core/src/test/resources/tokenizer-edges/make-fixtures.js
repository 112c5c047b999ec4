// Generates expected.json: what the Hugging Face `tokenizers` library (npm binding, 0.23.2) answers
// for tokenizer.json variants built from ../tokenizers/modernbert-style/tokenizer.json.
// Run: cd /tmp/hf && npm init -y && npm install tokenizers@0.23.2
//      NODE_PATH=/tmp/hf/node_modules node make-fixtures.js
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("tokenizers");

const basePath = path.join(__dirname, "..", "tokenizers", "modernbert-style", "tokenizer.json");
const base = JSON.parse(fs.readFileSync(basePath, "utf8"));

function token(id, content, special, extra = {}) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special, ...extra };
}

function padding(strategy, direction, padId, padTypeId, padToken, multiple) {
  return { strategy, direction, pad_to_multiple_of: multiple, pad_id: padId, pad_type_id: padTypeId, pad_token: padToken };
}

const TEXTS = ["Hello world", "a", "The quick brown fox jumps over the lazy dog", ""];
const PAD = base.added_tokens.find((t) => t.content === "[PAD]").id;

// Added tokens whose declared ids are not contiguous with the 50256-token model vocabulary.
const gappedAdded = [
  token(50256, "<|endoftext|>", true),
  token(50300, "[UNK]", true),          // gap after the vocabulary
  token(50281, "[CLS]", true),          // declared where the original file has it
  token(50282, "[SEP]", true),
  token(50283, "[PAD]", true),
  token(50284, "[MASK]", true, { lstrip: true }),
  token(60000, "<gap>", true),          // far beyond the vocabulary
  token(10, "hello", false),            // content already in the model vocabulary, declared id wrong
  token(3, "<low>", false),             // declared id collides with a model token
  token(99999, "<far>", false),         // normalized, far beyond
  token(60000, "<gap>", true),          // duplicate of an earlier entry
  token(50257, "[CLS]", false),         // same content again, other properties
  token(50290, "", false),              // empty: ignored
];

const VARIANTS = [
  { name: "added-gaps", patch: { added_tokens: gappedAdded } },
  { name: "pad-batch-longest-right", patch: { padding: padding("BatchLongest", "Right", PAD, 0, "[PAD]", null) } },
  { name: "pad-fixed-left", patch: { padding: padding({ Fixed: 12 }, "Left", PAD, 1, "[PAD]", null) } },
  { name: "pad-multiple-of-8", patch: { padding: padding("BatchLongest", "Right", 0, 0, "!", 8) } },
  { name: "pad-fixed-shorter-than-input", patch: { padding: padding({ Fixed: 3 }, "Right", PAD, 0, "[PAD]", null) } },
  { name: "pad-fixed-10-multiple-of-4-left", patch: { padding: padding({ Fixed: 10 }, "Left", PAD, 0, "[PAD]", 4) } },
  { name: "pad-gapped-vocab", patch: { added_tokens: gappedAdded, padding: padding("BatchLongest", "Left", 60000, 0, "<gap>", null) } },
];

function enc(e) {
  return {
    ids: e.getIds(), tokens: e.getTokens(), typeIds: e.getTypeIds(), attentionMask: e.getAttentionMask(),
    specialTokensMask: e.getSpecialTokensMask(), offsets: e.getOffsets(),
  };
}

async function run(variant) {
  const json = JSON.parse(JSON.stringify(base));
  Object.assign(json, variant.patch);
  const t = Tokenizer.fromString(JSON.stringify(json));
  const out = { name: variant.name, patch: variant.patch, vocabSize: t.getVocabSize(true), tokenToId: {}, idToToken: {} };
  const contents = new Set((variant.patch.added_tokens || []).map((x) => x.content).concat(["[CLS]", "[PAD]", "hello", "!"]));
  for (const c of contents) out.tokenToId[c] = t.tokenToId(c);
  for (const id of [0, 3, 10, 31373, 50255, 50256, 50257, 50258, 50259, 50260, 50261, 50262, 50263, 50264, 50265,
                    50281, 50283, 50300, 50367, 50368, 60000, 99999]) {
    out.idToToken[id] = t.idToToken(id);
  }
  out.encode = [];
  for (const [text, pair] of [["Hello world", null], ["hello <gap> world<low><far>! [MASK] x", null], ["Hi", "there you"]]) {
    for (const addSpecialTokens of [true, false]) {
      out.encode.push({ text, pair, addSpecialTokens, ...enc(await t.encode(text, pair, { addSpecialTokens })) });
    }
  }
  out.encodeBatch = [];
  for (const texts of [TEXTS, ["one"], []]) {
    for (const addSpecialTokens of [true, false]) {
      const rows = (await t.encodeBatch(texts, { addSpecialTokens })).map(enc);
      out.encodeBatch.push({ texts, addSpecialTokens, rows });
    }
  }
  out.decode = [];
  const idLists = [[15496, 995], [15496, 999999, 995], [50281, 15496, 50368, 995, 50282], [60000, 50262, 10, 3, 50264, 99999, 31373],
                   [70000, 80000], []];
  for (const ids of idLists) {
    for (const skipSpecialTokens of [false, true]) {
      out.decode.push({ ids, skipSpecialTokens, text: await t.decode(ids, skipSpecialTokens) });
    }
  }
  return out;
}

(async () => {
  const results = [];
  for (const v of VARIANTS) results.push(await run(v));
  const version = JSON.parse(fs.readFileSync(require.resolve("tokenizers/package.json"), "utf8")).version;
  // one variant per line keeps the file small and its diffs readable
  const lines = results.map((r) => JSON.stringify(r));
  fs.writeFileSync(path.join(__dirname, "expected.json"),
    '{"producedBy": ' + JSON.stringify("tokenizers (npm) " + version) + ', "variants": [\n' + lines.join(",\n") + "\n]}\n");
})();
