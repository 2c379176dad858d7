#!/usr/bin/env python3
"""Prepare the training token stream on a machine without torch or the tokenizers Python package,
so the GPU run spends its minutes on training only.

    python3 pretokenize.py prep   CORPUS_TEXT_DIR WORK_DIR   # docs.jsonl (all documents) + sample.jsonl
    python3 bpe_train.py WORK_DIR/sample.jsonl WORK_DIR/tokenizer.json
    node pretokenize.js WORK_DIR                              # ids.bin + lens.json (tokenizers 0.23.2, npm)
    python3 pretokenize.py stream WORK_DIR OUT_DIR            # OUT_DIR/stream.npy, counts.json, tokenizer.json

The mixture (source weights, chat share) is train.py's; train.py --pretokenized OUT_DIR uses the result.
"""
import json
import os
import random
import shutil
import sys

import numpy as np

import export
import train


def prep(text_dir, work):
    os.makedirs(work, exist_ok=True)
    rng = random.Random(0)
    docs_by_source = {n: [d for d in train.read_text(f"{text_dir}/{n}.txt").split(train.RS) if d.strip()]
                      for n in train.SOURCES}
    qa = [json.loads(l) for l in train.read_text(f"{text_dir}/qa.jsonl").splitlines() if l.strip()]
    convs = train.chat_conversations(qa, rng, 250000)
    docs_by_source["chat"] = [export.render_chat(c) for c in convs]
    names = []
    with open(f"{work}/docs.jsonl", "w", encoding="utf-8") as f:
        for name, docs in docs_by_source.items():
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
                names.append(name)
    json.dump(names, open(f"{work}/doc_sources.json", "w"))
    with open(f"{work}/sample.jsonl", "w", encoding="utf-8") as f:
        for name, docs in docs_by_source.items():
            budget = 1_200_000 * (2 if name in ("kjv", "fortunes", "devil", "jargon", "chat") else 1)
            idx = list(range(len(docs)))
            rng.shuffle(idx)
            for i in idx:
                f.write(json.dumps(docs[i], ensure_ascii=False) + "\n")
                budget -= len(docs[i])
                if budget < 0:
                    break
    print(f"{len(names)} docs written to {work}")


def stream(work, out, cap=None):
    rng = random.Random(1)
    names = json.load(open(f"{work}/doc_sources.json"))
    lens = json.load(open(f"{work}/lens.json"))
    ids = np.fromfile(f"{work}/ids.bin", dtype=np.uint16)
    assert len(names) == len(lens) and sum(lens) == len(ids), (len(names), len(lens), sum(lens), len(ids))
    offs = np.concatenate([[0], np.cumsum(lens)])
    by_src = {}
    for i, n in enumerate(names):
        by_src.setdefault(n, []).append(i)
    pieces, counts = [], {}
    for name, idx in by_src.items():
        if name == "chat":
            continue
        w = train.SOURCES[name]
        chosen = [i for _ in range(int(w)) for i in idx] + [i for i in idx if rng.random() < w - int(w)]
        pieces += chosen
        counts[name] = int(sum(lens[i] for i in chosen))
    text_tokens = sum(counts.values())
    want = int(text_tokens * train.CHAT_FRACTION / (1 - train.CHAT_FRACTION))
    chat, got, k = by_src["chat"], 0, 0
    while got < want:
        i = chat[k % len(chat)]
        pieces.append(i); got += lens[i]; k += 1
    counts["chat"] = got
    rng.shuffle(pieces)
    s = np.concatenate([ids[offs[i]:offs[i + 1]] for i in pieces])
    if cap and len(s) > cap:  # the GPU transfer limit: keep a random-order prefix (the mix is preserved)
        s = s[:cap]
        counts = {k: int(v * cap / sum(counts.values())) for k, v in counts.items()}
    os.makedirs(out, exist_ok=True)
    np.save(f"{out}/stream.npy", s)
    json.dump(counts, open(f"{out}/counts.json", "w"))
    shutil.copy(f"{work}/tokenizer.json", f"{out}/tokenizer.json")
    total = len(s)
    print("stream mix: " + ", ".join(f"{k} {v / total:.1%}" for k, v in counts.items()) + f"; {total / 1e6:.1f} M tokens")


if __name__ == "__main__":
    if sys.argv[1] == "prep":
        prep(sys.argv[2], sys.argv[3])
    else:
        stream(sys.argv[2], sys.argv[3], int(float(sys.argv[4])) if len(sys.argv) > 4 else None)
