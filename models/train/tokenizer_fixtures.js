// Reads {"tokenizer": path, "texts": [...]} on stdin; prints [{"ids", "tokens"}] using the tokenizers
// library (npm tokenizers@0.23.2). Every text must decode back to itself.
const { Tokenizer } = require(process.env.TOKENIZERS_JS || "tokenizers");
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const req = JSON.parse(input);
  const tok = Tokenizer.fromFile(req.tokenizer);
  const out = [];
  for (const t of req.texts) {
    const enc = await tok.encode(t, null, { addSpecialTokens: false });
    const ids = enc.getIds();
    const back = await tok.decode(ids, false);
    if (back !== t) throw new Error(`round trip failed: ${JSON.stringify(t)} -> ${JSON.stringify(back)}`);
    out.push({ ids, tokens: ids.map((i) => tok.idToToken(i)) });
  }
  process.stdout.write(JSON.stringify(out));
});
