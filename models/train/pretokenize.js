// Encodes the corpus with the tokenizers library (npm tokenizers@0.23.2, the Rust core that the
// Python package wraps) and checks tokenizer.json on the way: every document must decode back to
// its text exactly. Usage: node pretokenize.js WORK_DIR  (reads tokenizer.json and docs.jsonl,
// writes ids.bin: uint16 ids with <|endoftext|> (0) before each document, and lens.json).
const fs = require("fs");
const readline = require("readline");
const { Tokenizer } = require(process.env.TOKENIZERS_JS || "tokenizers");

async function main() {
  const work = process.argv[2];
  const tok = Tokenizer.fromFile(`${work}/tokenizer.json`);
  if (tok.getVocabSize(true) !== 8192) throw new Error(`vocab size ${tok.getVocabSize(true)}`);
  const out = fs.openSync(`${work}/ids.bin`, "w");
  const lens = [];
  let batch = [], n = 0, checked = 0;
  const flush = async () => {
    const encs = await tok.encodeBatch(batch, { addSpecialTokens: false });
    for (let i = 0; i < encs.length; i++) {
      const ids = encs[i].getIds();
      if (checked < 300 || i === 0) {
        const back = await tok.decode(ids, false);
        if (back !== batch[i]) throw new Error(`round trip failed on doc ${n + i}: ${JSON.stringify(batch[i].slice(0, 200))}`);
        checked++;
      }
      const arr = new Uint16Array(ids.length + 1);
      arr[0] = 0;
      arr.set(ids, 1);
      fs.writeSync(out, Buffer.from(arr.buffer));
      lens.push(arr.length);
    }
    n += batch.length;
    batch = [];
    if (n % 50000 < 2000) console.log(`${n} docs`);
  };
  const rl = readline.createInterface({ input: fs.createReadStream(`${work}/docs.jsonl`), crlfDelay: Infinity });
  for await (const line of rl) {
    batch.push(JSON.parse(line));
    if (batch.length >= 2000) await flush();
  }
  if (batch.length) await flush();
  fs.closeSync(out);
  fs.writeFileSync(`${work}/lens.json`, JSON.stringify(lens));
  console.log(`${n} docs, ${lens.reduce((a, b) => a + b, 0)} tokens, ${checked} round trips checked`);
}
main().catch((e) => { console.error(e); process.exit(1); });
