#!/usr/bin/env python3
"""Fallback trainer for velox-tiny on CPU (Debian's python3-torch), used when no GPU time is left.

Trains the same LlamaForCausalLM architecture as train.py (config.json in the model directory) on the
pretokenized stream that pretokenize.py writes, for a fixed wall-clock budget, then exports bf16
safetensors in the Hugging Face layout and reference fixtures computed by THIS script's PyTorch
implementation of the Llama forward pass (independent of the Java engine; transformers is not
installable here). Usage:

    python3 train_cpu.py --stream .device/pre/stream.npy --model-dir models/velox-tiny --minutes 40
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


class Llama(nn.Module):
    """A plain Llama: RMSNorm, GQA attention with rotate-half RoPE, SwiGLU, tied embeddings (HF semantics)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        H, V = c["hidden_size"], c["vocab_size"]
        self.nh, self.nkv, self.hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        self.eps = c["rms_norm_eps"]
        self.embed = nn.Embedding(V, H)
        self.layers = nn.ModuleList()
        for _ in range(c["num_hidden_layers"]):
            l = nn.Module()
            l.ln1 = nn.Parameter(torch.ones(H))
            l.ln2 = nn.Parameter(torch.ones(H))
            l.q = nn.Linear(H, self.nh * self.hd, bias=False)
            l.k = nn.Linear(H, self.nkv * self.hd, bias=False)
            l.v = nn.Linear(H, self.nkv * self.hd, bias=False)
            l.o = nn.Linear(self.nh * self.hd, H, bias=False)
            l.gate = nn.Linear(H, c["intermediate_size"], bias=False)
            l.up = nn.Linear(H, c["intermediate_size"], bias=False)
            l.down = nn.Linear(c["intermediate_size"], H, bias=False)
            self.layers.append(l)
        self.norm = nn.Parameter(torch.ones(H))
        theta = c.get("rope_theta") or c["rope_parameters"]["rope_theta"]
        self.register_buffer("inv_freq", 1.0 / (theta ** (torch.arange(0, self.hd, 2, dtype=torch.int64).float() / self.hd)),
                             persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        for l in self.layers:  # scaled residual projections keep early training stable
            nn.init.normal_(l.o.weight, std=0.02 / math.sqrt(2 * len(self.layers)))
            nn.init.normal_(l.down.weight, std=0.02 / math.sqrt(2 * len(self.layers)))

    def rms(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def rope(self, T, offset=0):
        pos = torch.arange(offset, offset + T, dtype=torch.float32)
        f = torch.outer(pos, self.inv_freq)
        emb = torch.cat((f, f), -1)
        return emb.cos(), emb.sin()

    @staticmethod
    def rotate(x, cos, sin):
        h = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., h:], x[..., :h]), -1) * sin

    def forward(self, ids, capture=None):
        B, T = ids.shape
        cos, sin = self.rope(T)
        x = self.embed(ids)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        rep = self.nh // self.nkv
        for i, l in enumerate(self.layers):
            h = self.rms(x, l.ln1)
            q = l.q(h).view(B, T, self.nh, self.hd).transpose(1, 2)
            k = l.k(h).view(B, T, self.nkv, self.hd).transpose(1, 2)
            v = l.v(h).view(B, T, self.nkv, self.hd).transpose(1, 2)
            k_pre = k
            q, k = self.rotate(q, cos, sin), self.rotate(k, cos, sin)
            if capture is not None:
                capture.append({"k_pre": k_pre[0], "k_post": k[0], "v": v[0], "q": q[0]})
            kk = k.repeat_interleave(rep, 1)
            vv = v.repeat_interleave(rep, 1)
            att = (q @ kk.transpose(-1, -2)) / math.sqrt(self.hd)
            att = att.masked_fill(mask, float("-inf")).softmax(-1)
            a = (att @ vv).transpose(1, 2).reshape(B, T, self.nh * self.hd)
            x = x + l.o(a)
            h = self.rms(x, l.ln2)
            x = x + l.down(F.silu(l.gate(h)) * l.up(h))
        return self.rms(x, self.norm) @ self.embed.weight.T

    def hf_state(self):
        s = {"model.embed_tokens.weight": self.embed.weight, "model.norm.weight": self.norm}
        for i, l in enumerate(self.layers):
            p = f"model.layers.{i}."
            s[p + "input_layernorm.weight"] = l.ln1
            s[p + "post_attention_layernorm.weight"] = l.ln2
            for n, m in (("q_proj", l.q), ("k_proj", l.k), ("v_proj", l.v), ("o_proj", l.o)):
                s[p + "self_attn." + n + ".weight"] = m.weight
            for n, m in (("gate_proj", l.gate), ("up_proj", l.up), ("down_proj", l.down)):
                s[p + "mlp." + n + ".weight"] = m.weight
        return s


def write_safetensors(path, tensors):
    """Minimal safetensors writer: JSON header (8-byte aligned) + little-endian raw data."""
    names = {torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32", torch.int32: "I32"}
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stream", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(args.model_dir, "config.json")))
    model = Llama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    stream = torch.from_numpy(np.load(args.stream).astype(np.int64))
    log(f"parameters {n_params:,}; stream {len(stream) / 1e6:.1f} M tokens; budget {args.minutes} min")
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    budget = args.minutes * 60
    t0 = time.time()
    step, tokens, ema = 0, 0, None
    g = torch.Generator().manual_seed(0)
    while True:
        el = time.time() - t0
        if el > budget:
            break
        frac = el / budget
        lr = args.lr * min(1.0, (step + 1) / 30) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for grp in opt.param_groups:
            grp["lr"] = lr
        off = torch.randint(0, len(stream) - args.seq - 1, (args.batch, 1), generator=g)
        seq = stream[off + torch.arange(args.seq + 1)]
        logits = model(seq[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), seq[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens += args.batch * args.seq
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 10 == 0:
            log(f"step {step} loss {loss.item():.3f} (ema {ema:.3f}) lr {lr:.2e} {tokens / 1e6:.3f} M tokens "
                f"{tokens / (time.time() - t0):.0f} tok/s")
    train_s = time.time() - t0
    log(f"trained {step} steps, {tokens:,} tokens in {train_s:.0f} s")
    state = {k: v.detach().to(torch.bfloat16) for k, v in model.hf_state().items()}
    write_safetensors(os.path.join(args.model_dir, "model.safetensors"), state)
    meta = {"trainer": "models/train/train_cpu.py (CPU, Debian python3-torch " + torch.__version__ + ")",
            "parameters": n_params, "steps": step, "tokens_trained": tokens, "train_seconds": round(train_s),
            "batch": args.batch, "seq": args.seq, "lr": args.lr, "final_loss_ema": round(ema, 4)}
    json.dump(meta, open(os.path.join(args.model_dir, "train_meta.json"), "w"), indent=2)
    log("wrote model.safetensors and train_meta.json")


if __name__ == "__main__":
    main()
