#!/usr/bin/env python3
"""Reference fixtures for velox-tiny from this repository's PyTorch Llama (train_cpu.py), on CPU.

Reads models/velox-tiny/model.safetensors (bf16, widened to float32), the held-out ids written by
encode_heldout.js (tokenizers library) and reference/chat.json, and writes reference/logits.safetensors,
reference/kv.safetensors and reference/perplexity.json in the formats reference/README.md describes.

    python3 export_cpu.py --model-dir models/velox-tiny --heldout-ids /tmp/heldout_ids.json
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch

from train_cpu import Llama, write_safetensors, log


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        raw = np.frombuffer(data[a:b], dtype={"BF16": np.int16, "F32": np.float32, "F16": np.float16}[h["dtype"]])
        t = torch.from_numpy(raw.copy())
        if h["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = t.reshape(h["shape"]).float()
    return out


def load(model_dir):
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    model = Llama(cfg)
    state = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    for k, v in model.hf_state().items():
        v.data.copy_(state[k])
    return model.eval()


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--heldout-ids", required=True)
    ap.add_argument("--ppl-windows-512", type=int, default=16)
    ap.add_argument("--ppl-windows-2048", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(2)
    model = load(args.model_dir)
    ref = os.path.join(args.model_dir, "reference")
    ids = json.load(open(args.heldout_ids))
    chat = json.load(open(os.path.join(ref, "chat.json")))["conversations"]
    chat_ids = next(c["ids"] for c in chat if len(c["ids"]) <= 128)
    prompts = [ids[0:16], ids[1000:1040], ids[5000:5080], chat_ids, ids[20000:20192]]
    full_rows = [4, 6, 7, 7, 8]
    tensors = {}
    for i, (p, k) in enumerate(zip(prompts, full_rows)):
        x = torch.tensor([p])
        logits = model(x)[0]
        n = len(p)
        top = logits.topk(50, dim=-1)
        lse = torch.logsumexp(logits.double(), dim=-1).float()
        pos = sorted(set(int(round(j * (n - 1) / (k - 1))) for j in range(k)))
        tensors[f"p{i}.input_ids"] = torch.tensor(p, dtype=torch.int32)
        tensors[f"p{i}.top_ids"] = top.indices.to(torch.int32)
        tensors[f"p{i}.top_logits"] = top.values.float()
        tensors[f"p{i}.lse"] = lse
        tensors[f"p{i}.full_positions"] = torch.tensor(pos, dtype=torch.int32)
        tensors[f"p{i}.full_logits"] = logits[pos].float()
        log(f"logits prompt p{i}: {n} tokens, {len(pos)} full rows")
    write_safetensors(os.path.join(ref, "logits.safetensors"), tensors)

    passage = ids[40000:40512]
    cap = []
    model(torch.tensor([passage]), capture=cap)
    kv = {"input_ids": torch.tensor(passage, dtype=torch.int32)}
    for l, c in enumerate(cap):
        for name in ("k_pre", "k_post", "v", "q"):
            kv[f"layer{l}.{name}"] = c[name].to(torch.float16)
    write_safetensors(os.path.join(ref, "kv.safetensors"), kv)
    log(f"kv fixture: {len(cap)} layers x 512 tokens")

    result = {"method": "non-overlapping windows from the start of eval/heldout.txt (tokenized without BOS by the "
                        "tokenizers library), each fed from position 0; context-1 tokens scored per window; fp32 "
                        "forward of models/train/train_cpu.py's Llama on the bf16 weights",
              "heldout_tokens": len(ids)}
    for ctx, nw in ((512, args.ppl_windows_512), (2048, args.ppl_windows_2048)):
        nll, scored, first4 = 0.0, 0, None
        for w in range(nw):
            x = torch.tensor([ids[w * ctx:(w + 1) * ctx]])
            lp = torch.log_softmax(model(x)[0].double(), -1)
            nll -= lp[torch.arange(ctx - 1), x[0, 1:]].sum().item()
            scored += ctx - 1
            if w == 3:
                first4 = math.exp(nll / scored)
        result[str(ctx)] = {"windows": nw, "tokens_scored": scored, "perplexity": math.exp(nll / scored),
                            "first4_windows_perplexity": first4}
        log(f"perplexity @{ctx}: {math.exp(nll / scored):.4f} over {nw} windows")
    json.dump(result, open(os.path.join(ref, "perplexity.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
