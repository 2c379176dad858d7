// Summarises httpyac's --json output: per file, requests and assertions passed; every failed
// assertion with its message. Exits 1 when anything failed or errored, or nothing ran.
"use strict";
const fs = require("fs");
const path = require("path");

const report = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const perFile = new Map();
const failures = [];
for (const r of report.requests) {
  const file = path.basename(r.fileName);
  const f = perFile.get(file) || { requests: 0, requestsOk: 0, tests: 0, testsOk: 0 };
  const results = r.testResults || [];
  const ok = results.filter(t => t.status === "SUCCESS").length;
  f.requests += 1;
  f.tests += results.length;
  f.testsOk += ok;
  if (results.length > 0 && ok === results.length) {
    f.requestsOk += 1;
  }
  for (const t of results.filter(t => t.status !== "SUCCESS")) {
    const why = (t.error && (t.error.displayMessage || t.error.message)) || t.message || t.status;
    failures.push(`${file}:${r.line} ${r.name} — ${t.message}: ${String(why).split(" - ")[0]}`);
  }
  if (results.length === 0) {
    failures.push(`${file}:${r.line} ${r.name} — no assertions ran`);
  }
  perFile.set(file, f);
}
let total = { requests: 0, requestsOk: 0, tests: 0, testsOk: 0 };
console.log("file                 requests   assertions");
for (const [file, f] of [...perFile.entries()].sort()) {
  console.log(`${file.padEnd(20)} ${String(f.requestsOk).padStart(3)}/${String(f.requests).padEnd(5)} ${String(f.testsOk).padStart(5)}/${f.tests}`);
  for (const k of Object.keys(total)) total[k] += f[k];
}
console.log(`${"total".padEnd(20)} ${String(total.requestsOk).padStart(3)}/${String(total.requests).padEnd(5)} ${String(total.testsOk).padStart(5)}/${total.tests}`);
if (failures.length > 0) {
  console.log(`\n${failures.length} failed:`);
  for (const f of failures) console.log("  " + f);
}
// The plain closing line CI runners recognise: assertions passed and failed.
console.log(`http-tests: ${total.testsOk} passed, ${total.tests - total.testsOk} failed`);
process.exit(failures.length === 0 && total.tests > 0 ? 0 : 1);
