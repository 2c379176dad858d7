// Writes engine/src/test/resources/tokenizer/<name>.tokenizer.json and <name>.expected.json:
// small tokenizer.json files in the styles of GPT-2, Llama-3, Qwen2 and Llama-2 (SentencePiece BPE),
// with vocabularies trained here by a plain BPE trainer, and the ids / decodings that Hugging Face's
// Rust tokenizers (npm "tokenizers") produces for tricky strings. The Java tests compare against these.
//
//   cd engine/src/test/generators && npm install && node tokenizer-reference.mjs
// Optional: node tokenizer-reference.mjs <modelDir> <stringsFile> <outFile> writes expected ids for a
// real model's tokenizer.json (one JSON string per line in stringsFile), and
// node tokenizer-reference.mjs --digest ../../../../models/velox-tiny ../../../../models/velox-tiny/eval/heldout.txt \
//   ../resources/tokenizer/velox-tiny.heldout.json
// writes digests of the ids of the embedded model's held-out text (TokenizerHeldoutParityTest).
import { Tokenizer } from "tokenizers";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, "..", "resources", "tokenizer");

const CORPUS = `
The quick brown fox jumps over the lazy dog. It's the dog's day; they'll say we've been there, I'm sure you'd agree.
She said: "Don't stop!" -- and he didn't. THE END. Isn't it? WE'LL SEE. You're right, they're wrong.
In 1984, 12345 people paid $3.50 each; 2024-01-15 at 10:30am, pi = 3.14159265, version v2.0.1, 100% sure.
def encode(self, text: str) -> list[int]:
    return [self.vocab[t] for t in text.split()]  # comment
for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }
    indented line with    multiple   spaces
Tabs\tand\tnewlines\n\nare whitespace too.
Café, naïve, résumé, Zürich, São Paulo, Ångström, façade, coöperate, jalapeño.
Москва — столица России. Привет, мир! Ελληνικά γράμματα. Hello שלום مرحبا नमस्ते.
日本語のテキストと中文文本，还有한국어 텍스트。東京は大きい都市です。我们喜欢学习。
Emoji: 😀 👍🏽 🇫🇷 ❤️ 🚀✨ and symbols ™ © ® ° ± × ÷ € £ ¥ § ¶ • … ‘quotes’ “double”.
<html><body class="main">Hello &amp; welcome</body></html> {"key": [1, 2, 3], "ok": true}
user@example.com https://example.org/path?q=1&r=2 #hashtag @mention snake_case camelCase CONSTANT_CASE
`;

const STRINGS = [
  "Hello world",
  " Hello world",
  "Hello  world   ",
  "",
  " ",
  "   ",
  "\n",
  "\n\n\n",
  "a\n\nb",
  "line one\r\nline two\r\n",
  "\tTabbed\t\ttext\t",
  "It's they'll we've I'm you'd she's don't",
  "IT'S THEY'LL WE'VE I'M YOU'D",
  "it\u2019s curly",
  "1234567890",
  "12 345 6789 3.14159 -42 +7 1e10",
  "v2.0.1 2024-01-15 10:30",
  "The quick brown fox jumps over the lazy dog.",
  "    def f(x):\n        return x * 2\n",
  "Café naïve Zürich",
  "Cafe\u0301 nai\u0308ve",
  "Москва — столица России.",
  "日本語のテキスト、中文文本。",
  "한국어 텍스트",
  "😀 👍🏽 🇫🇷 ❤️ 🚀✨",
  "a\u00a0b\u3000c\u2003d",
  "word\u200bjoined",
  "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
  "text<s>more</s> end",
  "<s> spaced </s>",
  "  <think>  reasoning  </think>  answer",
  "mask[MASK]here and [MASK] there",
  "<|im_start|><|im_start|>",
  "<|im_start",
  "email user@example.com https://example.org/a?b=1&c=2",
  "!!!??? ... ---",
  "x" + "y".repeat(300),
  "\u017fs long s",
  "ＦＵＬＬ width",
  "\u0000 nul and \u0007 bell",
  "trailing space ",
  "mixed 中文 and English 123 together!",
];

// ---- a plain BPE trainer (byte-level or SentencePiece-style words) ----
function trainMerges(words, baseSymbols, numMerges) {
  const counts = new Map();
  for (const w of words) counts.set(w, (counts.get(w) || 0) + 1);
  let entries = [...counts.entries()].map(([w, c]) => ({ syms: [...w], c }));
  const merges = [];
  const vocab = new Set(baseSymbols);
  for (let m = 0; m < numMerges; m++) {
    const pairs = new Map();
    for (const e of entries) for (let i = 0; i + 1 < e.syms.length; i++) {
      const k = e.syms[i] + "\u0001" + e.syms[i + 1];
      pairs.set(k, (pairs.get(k) || 0) + e.c);
    }
    let best = null, bestC = 0;
    for (const [k, c] of pairs) if (c > bestC || (c === bestC && best !== null && k < best)) { best = k; bestC = c; }
    if (best === null) break;
    const [a, b] = best.split("\u0001");
    merges.push([a, b]);
    vocab.add(a + b);
    for (const e of entries) {
      const s = [];
      for (let i = 0; i < e.syms.length; i++) {
        if (i + 1 < e.syms.length && e.syms[i] === a && e.syms[i + 1] === b) { s.push(a + b); i++; } else s.push(e.syms[i]);
      }
      e.syms = s;
    }
  }
  return { merges, vocab };
}

function byteLevelAlphabet() {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map = new Map();
  let n = 0;
  for (let b = 0; b < 256; b++) map.set(b, String.fromCodePoint(bs.includes(b) ? b : 256 + n++));
  return map;
}
const BYTE_MAP = byteLevelAlphabet();
const toByteLevel = (s) => [...Buffer.from(s, "utf8")].map((b) => BYTE_MAP.get(b)).join("");

const GPT2_RE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const corpusWords = CORPUS.match(GPT2_RE).map(toByteLevel);
const byteSymbols = [...BYTE_MAP.values()];

function byteLevelVocab(numMerges, extraTokens) {
  const { merges, vocab } = trainMerges(corpusWords, byteSymbols, numMerges);
  const v = {};
  let id = 0;
  for (const t of byteSymbols) v[t] = id++;
  for (const [a, b] of merges) if (!(a + b in v)) v[a + b] = id++;
  return { vocab: v, merges, next: id };
}

function added(id, content, special, opts = {}) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special, ...opts };
}

function bpeModel(vocab, merges, opts = {}) {
  return { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges, ...opts };
}

const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function gpt2() {
  const { vocab, merges, next } = byteLevelVocab(400);
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [added(next, "<|endoftext|>", true)],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: bpeModel(vocab, merges.map(([a, b]) => a + " " + b)),
  };
}

function llama3() {
  const { vocab, merges, next } = byteLevelVocab(450);
  const names = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: names.map((n, i) => added(next + i, n, true, { normalized: false })),
    normalizer: null,
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: LLAMA3_RE }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] },
    post_processor: { type: "Sequence", processors: [
      { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
      { type: "TemplateProcessing",
        single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
               { SpecialToken: { id: "<|begin_of_text|>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
        special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [next], tokens: ["<|begin_of_text|>"] } } }] },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: bpeModel(vocab, merges, { ignore_merges: true }),
  };
}

function qwen2() {
  const { vocab, merges, next } = byteLevelVocab(420);
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [
      added(next, "<|endoftext|>", true, { normalized: false }),
      added(next + 1, "<|im_start|>", true, { normalized: false }),
      added(next + 2, "<|im_end|>", true, { normalized: false }),
      added(next + 3, "<think>", false, { normalized: false }),
      added(next + 4, "</think>", false, { normalized: false }),
      added(next + 5, "[MASK]", true, { normalized: false, lstrip: true, rstrip: true }),
      added(next + 6, "there", false, { normalized: true, single_word: true }),
    ],
    normalizer: { type: "NFC" },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: QWEN2_RE }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false }] },
    post_processor: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: bpeModel(vocab, merges.map(([a, b]) => a + " " + b)),
  };
}

// SentencePiece-converted BPE (Llama-2 / Mistral layout): ▁ for spaces, <0xAB> byte fallback.
function llama2() {
  const words = CORPUS.split(/(?= )/u).map((w) => ("▁" + w.replace(/ /g, "▁")).replace(/^▁▁/, "▁"));
  const chars = [...new Set([...CORPUS.replace(/ /g, "▁")])];
  const { merges } = trainMerges(words, chars, 400);
  const vocab = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  let id = 3;
  for (let b = 0; b < 256; b++) vocab["<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">"] = id++;
  for (const c of ["▁", ...chars]) if (!(c in vocab)) vocab[c] = id++;
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = id++;
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [added(0, "<unk>", true, { normalized: false }), added(1, "<s>", true, { normalized: false }),
                   added(2, "</s>", true, { normalized: false })],
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
    pre_tokenizer: null,
    post_processor: { type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } } },
    decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] },
    model: bpeModel(vocab, merges, { unk_token: "<unk>", fuse_unk: true, byte_fallback: true }),
  };
}

// Metaspace pre-tokenizer and decoder, Digits, NFKC: a newer SentencePiece conversion.
function metaspace() {
  const base = llama2();
  base.normalizer = { type: "NFKC" };
  base.pre_tokenizer = { type: "Sequence", pretokenizers: [
    { type: "Digits", individual_digits: true },
    { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: true }] };
  base.decoder = { type: "Sequence", decoders: [{ type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: true }, { type: "ByteFallback" }, { type: "Fuse" }] };
  base.post_processor = null;
  return base;
}

// Deterministic random strings mixing the pieces the split regexes care about.
function fuzzStrings(count) {
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const atoms = ["the", "The", " ", "  ", "\n", "\r\n", "\t", "'s", "'LL", "’", "123", "4567", "3.14", "-", "!!", "?", ".", ",",
    "é", "e\u0301", "ß", "日本", "語", "😀", "🇫🇷", "\u00a0", "\u3000", "<|im_start|>", "<|im_end|>", "<s>", "</s>", "<|eot_id|>",
    "[MASK]", " there ", "_", "über", "Ωmega", "١٢٣", "Ⅻ", "½", "\u200b", "ǅ", "İ", "x", "Q", "\u0085", "\u2028", "\u000b"];
  const out = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(rand() * 12);
    let s = "";
    for (let j = 0; j < n; j++) s += atoms[Math.floor(rand() * atoms.length)];
    out.push(s);
  }
  return out;
}

async function expectations(tok, strings) {
  const cases = [];
  for (const text of strings) {
    const plain = await tok.encode(text, null, { addSpecialTokens: false });
    const withSpecial = await tok.encode(text, null, { addSpecialTokens: true });
    const ids = plain.getIds();
    cases.push({ text, ids, ids_with_special: withSpecial.getIds(), decoded: await tok.decode(ids, false),
                 decoded_skip_special: await tok.decode(ids, true) });
  }
  return cases;
}

// FNV-1a 64 over the ids (each as 4 little-endian bytes), the digest the Java test recomputes.
function fnv1a64(idLists) {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n, mask = (1n << 64n) - 1n;
  for (const ids of idLists) for (const id of ids) for (let k = 0; k < 4; k++) {
    h ^= BigInt((id >>> (8 * k)) & 0xff);
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, "0");
}

// --digest <modelDir> <textFile> <outFile>: ids of a whole text file (and of each of its lines) as digests.
async function digest(modelDir, textFile, outFile) {
  const { createHash } = await import("node:crypto");
  const tokenizerFile = path.join(modelDir, "tokenizer.json");
  const tok = Tokenizer.fromFile(tokenizerFile);
  const text = fs.readFileSync(textFile, "utf8");
  const whole = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
  const lines = [];
  for (const line of text.split("\n")) lines.push((await tok.encode(line, null, { addSpecialTokens: false })).getIds());
  const out = { tokenizer_sha256: createHash("sha256").update(fs.readFileSync(tokenizerFile)).digest("hex"),
    text_sha256: createHash("sha256").update(fs.readFileSync(textFile)).digest("hex"),
    ids: whole.length, ids_fnv1a64: fnv1a64([whole]),
    lines: lines.length, line_ids: lines.reduce((n, l) => n + l.length, 0), line_ids_fnv1a64: fnv1a64(lines),
    first_ids: whole.slice(0, 64) };
  fs.writeFileSync(outFile, JSON.stringify(out, null, 1) + "\n");
  console.log(out.ids, "ids,", out.lines, "lines");
}

async function main() {
  if (process.argv[2] === "--digest") {
    await digest(...process.argv.slice(3));
    return;
  }
  const [modelDir, stringsFile, outFile] = process.argv.slice(2);
  if (modelDir) {
    const tok = Tokenizer.fromFile(path.join(modelDir, "tokenizer.json"));
    const strings = fs.readFileSync(stringsFile, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
    fs.writeFileSync(outFile, JSON.stringify(await expectations(tok, strings), null, 1) + "\n");
    return;
  }
  const configs = { gpt2: gpt2(), llama3: llama3(), qwen2: qwen2(), llama2: llama2(), metaspace: metaspace() };
  for (const [name, json] of Object.entries(configs)) {
    const text = JSON.stringify(json);
    const tok = Tokenizer.fromString(text);
    fs.writeFileSync(path.join(outDir, name + ".tokenizer.json"), text + "\n");
    fs.writeFileSync(path.join(outDir, name + ".expected.json"), JSON.stringify(await expectations(tok, STRINGS), null, 1) + "\n");
    fs.writeFileSync(path.join(outDir, name + ".fuzz.json"), JSON.stringify(await expectations(tok, fuzzStrings(150))) + "\n");
    console.log(name, "vocab", tok.getVocabSize(true));
  }
}

await main();
