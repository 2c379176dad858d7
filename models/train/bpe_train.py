#!/usr/bin/env python3
"""Byte-level BPE training in plain Python (same pre-tokenizer, byte alphabet and merge rule as the
tokenizers library's BpeTrainer), writing a standard tokenizer.json. Used when the tokenizer must be
made on a machine without the tokenizers Python package; pretokenize.js validates the file with the
tokenizers library itself (Node binding, same Rust core) and encodes the corpus with it.

    python3 bpe_train.py SAMPLE_JSONL OUT/tokenizer.json
"""
import collections
import json
import sys

import regex

VOCAB = 8192
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
GPT2_SPLIT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
SPECIAL_SPLIT = regex.compile("|".join(regex.escape(s) for s in SPECIALS))


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def main():
    sample, out = sys.argv[1], sys.argv[2]
    b2u = bytes_to_unicode()
    counts = collections.Counter()
    for line in open(sample, encoding="utf-8"):
        doc = json.loads(line)
        for piece in SPECIAL_SPLIT.split(doc):
            for w in GPT2_SPLIT.findall(piece):
                counts[w] += 1
    print(f"{len(counts)} distinct pre-tokens", flush=True)
    words, freqs = [], []
    for w, c in counts.items():
        if c >= 2 or len(w) == 1:
            words.append([b2u[b] for b in w.encode("utf-8")])
            freqs.append(c)
    alphabet = sorted(set(b2u.values()))
    vocab = {s: i for i, s in enumerate(SPECIALS)}
    for ch in alphabet:
        vocab[ch] = len(vocab)
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for wi, w in enumerate(words):
        f = freqs[wi]
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += f
            where[(a, b)].add(wi)
    merges = []
    import heapq
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    while len(vocab) < VOCAB and heap:
        negc, pair = heapq.heappop(heap)
        c = pair_counts.get(pair, 0)
        if c <= 0:
            continue
        if -negc != c:  # stale entry: push the current count back
            heapq.heappush(heap, (-c, pair))
            continue
        if c < 2:
            break
        a, b = pair
        new = a + b
        merges.append([a, b])
        vocab[new] = len(vocab)
        changed = collections.Counter()
        for wi in list(where[pair]):
            w = words[wi]
            f = freqs[wi]
            i, out_w = 0, []
            # remove this word's old pairs, merge, add its new pairs
            for x, y in zip(w, w[1:]):
                changed[(x, y)] -= f
            while i < len(w):
                if i < len(w) - 1 and w[i] == a and w[i + 1] == b:
                    out_w.append(new)
                    i += 2
                else:
                    out_w.append(w[i])
                    i += 1
            for x, y in zip(out_w, out_w[1:]):
                changed[(x, y)] += f
                where[(x, y)].add(wi)
            words[wi] = out_w
        for p, d in changed.items():
            if d:
                pair_counts[p] = pair_counts.get(p, 0) + d
                if d > 0:
                    heapq.heappush(heap, (-pair_counts[p], p))
        pair_counts.pop(pair, None)
        where.pop(pair, None)
        if len(merges) % 1000 == 0:
            print(f"  {len(merges)} merges, last {a!r}+{b!r} x{c}", flush=True)
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, s in enumerate(SPECIALS)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    print(f"vocab {len(vocab)} merges {len(merges)} -> {out}")


if __name__ == "__main__":
    main()
