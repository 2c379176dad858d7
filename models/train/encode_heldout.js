// Tokenizes the held-out text with the tokenizers library (npm tokenizers@0.23.2, Hugging Face's
// Rust core) for the CPU fixture export: node encode_heldout.js MODEL_DIR OUT.json
const fs = require("fs");
const { Tokenizer } = require(process.env.TOKENIZERS_JS || "tokenizers");

async function main() {
  const dir = process.argv[2];
  const tok = Tokenizer.fromFile(`${dir}/tokenizer.json`);
  const text = fs.readFileSync(`${dir}/eval/heldout.txt`, "utf8");
  const enc = await tok.encode(text, null, { addSpecialTokens: false });
  fs.writeFileSync(process.argv[3], JSON.stringify(enc.getIds()));
  console.log(`held-out: ${text.length} chars -> ${enc.getIds().length} tokens`);
}
main().catch((e) => { console.error(e); process.exit(1); });
