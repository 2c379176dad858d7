#!/usr/bin/env python3
"""Train velox-tiny end to end on one GPU: tokenizer, model, export, reference fixtures.

    python3 train.py --data DIR --out OUTDIR --train-seconds 270

DIR holds the cleaned corpus written by build_corpus.sh (<source>.txt[.xz], qa.jsonl[.xz]) and
heldout.txt. OUTDIR/velox-tiny receives the Hugging Face model directory with reference/ and
samples.txt. Before the real training the whole export and fixture path runs once on the freshly
initialised model (into OUTDIR/smoke), so a broken export fails in seconds, not after training.
"""
import argparse
import json
import lzma
import math
import os
import random
import sys
import time

import numpy as np

try:  # the data preparation below also runs on machines without torch (pretokenize.py)
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None

import export

SOURCES = {  # name -> how many times its documents appear in the training stream
    "kjv": 3.0, "gcide": 0.8, "wordnet": 0.5, "foldoc": 1.0, "jargon": 2.0, "devil": 3.0, "fortunes": 3.0,
    "manpages": 0.8, "perldoc": 1.0, "pythondoc": 1.0, "vimdoc": 0.6, "debiandoc": 1.5,
}
CHAT_FRACTION = 0.095
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
RS = "\n\x1e\n"


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


def read_text(path):
    if os.path.exists(path + ".xz"):
        with lzma.open(path + ".xz", "rt", encoding="utf-8") as f:
            return f.read()
    with open(path, encoding="utf-8") as f:
        return f.read()


QUESTIONS = [
    'What does the word "{w}" mean?', "What does {w} mean?", "Define {w}.", "What is the meaning of \"{w}\"?",
    "Can you tell me what {w} means?", "Explain the word {w}.", "{w}: what does it mean?",
    "What is the definition of {w}?", "I came across the word \"{w}\". What does it mean?", "Meaning of {w}?",
]
ANSWERS = [
    '"{W}" means: {d}', "{W}: {d}", 'The word "{w}" means {dl}', "It means {dl}", "{d}",
    'In short, "{w}" means {dl}',
]
SYSTEMS = [None, None, None, None, "You are a helpful dictionary assistant.", "Answer briefly.",
           "You are Velox, a small language model. Answer the user's questions."]
IDENTITY = [
    ("Who are you?", "I am Velox, a small language model trained on English text from Debian packages."),
    ("What are you?", "I am Velox, a small language model. I can answer simple questions, such as the meaning of a word."),
    ("Hello!", "Hello! How can I help you today?"),
    ("Hi", "Hi! Ask me what a word means and I will try to help."),
    ("Thank you.", "You are welcome."),
    ("What can you do?", "I can continue text and explain the meaning of English words. I am small, so keep questions simple."),
]


def chat_conversations(qa, rng, n):
    convs = []
    for i in range(n):
        sys_msg = rng.choice(SYSTEMS)
        msgs = [{"role": "system", "content": sys_msg}] if sys_msg else []
        if rng.random() < 0.02:
            q, a = rng.choice(IDENTITY)
            msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        turns = 1 if rng.random() < 0.8 else 2
        for _ in range(turns):
            e = qa[rng.randrange(len(qa))]
            w, d = e["word"], e["def"]
            dl = d[0].lower() + d[1:] if not d[:2].isupper() else d
            msgs.append({"role": "user", "content": rng.choice(QUESTIONS).format(w=w)})
            msgs.append({"role": "assistant", "content": rng.choice(ANSWERS).format(w=w, W=w[0].upper() + w[1:], d=d, dl=dl)})
        convs.append(msgs)
    return convs


def train_tokenizer(docs_by_source, out_dir):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers, AddedToken
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=export.VOCAB, min_frequency=2, show_progress=False,
                                  special_tokens=[AddedToken(s, special=True, normalized=False) for s in SPECIALS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    rng = random.Random(1)

    def sample():  # up to ~6 MB of each source keeps training fast and the vocabulary balanced
        for name, docs in docs_by_source.items():
            budget = 1_200_000 * (2 if name in ("kjv", "fortunes", "devil", "jargon", "chat") else 1)
            idx = list(range(len(docs)))
            rng.shuffle(idx)
            for i in idx:
                budget -= len(docs[i])
                yield docs[i]
                if budget < 0:
                    break

    tok.train_from_iterator(sample(), trainer=trainer)
    assert tok.get_vocab_size() == export.VOCAB, tok.get_vocab_size()
    for i, s in enumerate(SPECIALS):
        assert tok.token_to_id(s) == i, (s, tok.token_to_id(s))
    return export.save_tokenizer(tok, out_dir)


def build_stream(tok, docs_by_source, rng):
    """Encode every document once, then lay the repeated and shuffled documents into one token stream."""
    eot = 0
    encoded = {}
    for name, docs in docs_by_source.items():
        t0 = time.time()
        enc = tok.backend_tokenizer.encode_batch(docs, add_special_tokens=False)
        encoded[name] = [np.array([eot] + e.ids, dtype=np.uint16) for e in enc]
        n = sum(len(a) for a in encoded[name])
        log(f"  {name:10s} {len(docs):7d} docs {n / 1e6:7.2f} M tokens ({time.time() - t0:.1f}s)")
    pieces, counts = [], {}
    for name, arrs in encoded.items():
        if name == "chat":
            continue
        w = SOURCES[name]
        chosen = [a for _ in range(int(w)) for a in arrs]
        frac = w - int(w)
        chosen += [a for a in arrs if rng.random() < frac]
        pieces += chosen
        counts[name] = sum(len(a) for a in chosen)
    text_tokens = sum(counts.values())
    want_chat = int(text_tokens * CHAT_FRACTION / (1 - CHAT_FRACTION))
    chat = encoded["chat"]
    got, i = 0, 0
    while got < want_chat:
        pieces.append(chat[i % len(chat)]); got += len(chat[i % len(chat)]); i += 1
    counts["chat"] = got
    rng.shuffle(pieces)
    stream = np.concatenate(pieces)
    total = len(stream)
    log("stream mix: " + ", ".join(f"{k} {v / total:.1%}" for k, v in counts.items()) + f"; {total / 1e6:.1f} M tokens")
    return stream, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-seconds", type=float, default=270)
    ap.add_argument("--batch-tokens", type=int, default=131072)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--long-fraction", type=float, default=0.2, help="share of steps at context 2048 (rest at 512)")
    ap.add_argument("--deadline", type=float, help="seconds after start by which training must end (export follows)")
    ap.add_argument("--export-reserve", type=float, default=45)
    ap.add_argument("--chat-convs", type=int, default=250000)
    ap.add_argument("--skip-smoke", action="store_true")
    ap.add_argument("--pretokenized", help="directory from pretokenize.py: tokenizer.json, stream.npy (or stream.npy.xz), counts.json")
    ap.add_argument("--no-compile", action="store_true", help="train eagerly (no torch.compile warm-up)")
    ap.add_argument("--cache", help="directory for the trained tokenizer and token stream; reused when present")
    ap.add_argument("--sweep", help="comma-separated training budgets in seconds: train each from the same init, keep "
                    "the one with the lowest held-out perplexity")
    ap.add_argument("--export-only", help="re-run export and fixtures for the model directory given here")
    args = ap.parse_args()
    if args.export_only:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tok = AutoTokenizer.from_pretrained(args.export_only)
        model = AutoModelForCausalLM.from_pretrained(args.export_only, dtype=torch.float32).cuda()
        meta_path = os.path.join(args.export_only, "train_meta.json")
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        failed = export.export_all(model, tok, read_text(f"{args.data}/heldout.txt"), args.export_only, quick=False, meta=meta)
        log(f"export-only done; failed parts: {failed}")
        return
    t_start = time.time()
    torch.manual_seed(0)
    rng = random.Random(0)
    dev = torch.device("cuda")
    log("torch", torch.__version__, "device", torch.cuda.get_device_name(0))
    import transformers, tokenizers
    log("transformers", transformers.__version__, "tokenizers", tokenizers.__version__)

    # ---------------------------------------------------------------- data
    heldout = read_text(f"{args.data}/heldout.txt")
    out_dir = os.path.join(args.out, "velox-tiny")
    os.makedirs(out_dir, exist_ok=True)
    cache_ok = args.cache and os.path.exists(os.path.join(args.cache, "stream.npy"))
    if args.pretokenized:
        from tokenizers import Tokenizer
        tok = export.save_tokenizer(Tokenizer.from_file(os.path.join(args.pretokenized, "tokenizer.json")), out_dir)
        stream_path = os.path.join(args.pretokenized, "stream.npy")
        if not os.path.exists(stream_path) and os.path.exists(stream_path + ".xz"):
            # xz keeps the stream (52 MB raw, 18 MB packed) inside the device tool's 64 MiB transfer
            with lzma.open(stream_path + ".xz") as f:
                stream_np = np.load(f)
        else:
            stream_np = np.load(stream_path)
        counts = json.load(open(os.path.join(args.pretokenized, "counts.json")))
        log(f"pretokenized: tokenizer vocab {len(tok)}, {len(stream_np) / 1e6:.1f} M token stream")
    elif cache_ok:
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(os.path.join(args.cache, "tokenizer"))
        stream_np = np.load(os.path.join(args.cache, "stream.npy"))
        counts = json.load(open(os.path.join(args.cache, "counts.json")))
        log(f"loaded tokenizer and {len(stream_np) / 1e6:.1f} M token stream from cache {args.cache}")
    else:
        docs_by_source = {}
        for name in SOURCES:
            text = read_text(f"{args.data}/{name}.txt")
            docs_by_source[name] = [d for d in text.split(RS) if d.strip()]
        qa = [json.loads(l) for l in read_text(f"{args.data}/qa.jsonl").splitlines() if l.strip()]
        convs = chat_conversations(qa, rng, args.chat_convs)
        docs_by_source["chat"] = [export.render_chat(c) for c in convs]
        log(f"loaded {sum(len(v) for v in docs_by_source.values())} docs, {len(qa)} qa pairs, heldout {len(heldout)} chars")
        t0 = time.time()
        tok = train_tokenizer(docs_by_source, out_dir)
        log(f"tokenizer trained in {time.time() - t0:.1f}s")
        bad = sum(export.render_chat(c) != tok.apply_chat_template(c, tokenize=False) for c in convs[:200])
        if bad:  # never expected: fall back to the saved template itself so training matches what users render
            log(f"WARNING: render_chat differs from the Jinja template on {bad}/200 conversations; using the template")
            docs_by_source["chat"] = [tok.apply_chat_template(c, tokenize=False) for c in convs]
        stream_np, counts = build_stream(tok, docs_by_source, rng)
        del docs_by_source
        if args.cache:
            os.makedirs(args.cache, exist_ok=True)
            tok.save_pretrained(os.path.join(args.cache, "tokenizer"))
            np.save(os.path.join(args.cache, "stream.npy"), stream_np)
            json.dump(counts, open(os.path.join(args.cache, "counts.json"), "w"))
    stream = torch.from_numpy(stream_np.astype(np.int32)).to(dev)

    # ---------------------------------------------------------------- model
    model = export.new_model().to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"parameters: {n_params:,}")
    if not args.skip_smoke:
        t0 = time.time()
        failed = export.export_all(model, tok, heldout, os.path.join(args.out, "smoke"), quick=True, meta={"smoke": True})
        log(f"smoke export+fixtures done in {time.time() - t0:.1f}s; failed parts: {failed or 'none'}")
        model.float().train()

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=True)

    def loss_fn(x, y):
        logits = model(input_ids=x, use_cache=False).logits
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1))

    closs = loss_fn if args.no_compile else torch.compile(loss_fn, dynamic=False)
    N = stream.numel()
    shapes = {512: args.batch_tokens // 512, 2048: args.batch_tokens // 2048}

    def batch(T):
        B = shapes[T]
        off = torch.randint(0, N - T - 1, (B, 1), device=dev)
        idx = off + torch.arange(T + 1, device=dev)
        seq = stream[idx].long()
        return seq[:, :-1], seq[:, 1:]

    fn = {"loss": closs}

    def fwd_bwd(T):
        x, y = batch(T)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = fn["loss"](x, y)
        loss.backward()
        return loss

    model.train()
    # compile both shapes and time them (no optimizer step: the weights stay at their init)
    step_time = {512: 0.0, 2048: 0.0}
    used = [T for T, share in ((512, 1 - args.long_fraction), (2048, args.long_fraction)) if share > 0]
    for T in used:
        t0 = time.time()
        try:
            for _ in range(2):
                fwd_bwd(T)
        except Exception as e:  # a compiler problem must not cost the run: fall back to eager
            log(f"torch.compile failed ({type(e).__name__}: {str(e)[:300]}); training eagerly")
            fn["loss"] = loss_fn
            opt.zero_grad(set_to_none=True)
            fwd_bwd(T)
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        log(f"compiled T={T} in {time.time() - t0:.1f}s")
        t0 = time.time()
        for _ in range(5):
            fwd_bwd(T)
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        step_time[T] = (time.time() - t0) / 5 * 1.04 + 0.002
    per_step = (1 - args.long_fraction) * step_time[512] + args.long_fraction * step_time[2048]
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def train_run(budget):
        """One full schedule (warm-up, cosine decay, long-context tail) sized to take `budget` seconds."""
        total_steps = max(60, int(budget / per_step))
        long_from = int(total_steps * (1 - args.long_fraction))
        warmup = max(50, int(total_steps * 0.03))
        log(f"step time T=512 {step_time[512] * 1e3:.1f} ms, T=2048 {step_time[2048] * 1e3:.1f} ms -> {total_steps} "
            f"steps ({total_steps * args.batch_tokens / 1e6:.0f} M tokens, {total_steps * args.batch_tokens / N:.1f} "
            f"passes over the stream), long context from step {long_from}")
        model.load_state_dict(init_state)
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=True)

        def lr_at(s):
            if s < warmup:
                return args.lr * (s + 1) / warmup
            p = (s - warmup) / max(1, total_steps - warmup)
            return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))

        model.train()
        t_train = time.time()
        hard_stop = budget * 1.15
        done = 0
        for s in range(total_steps):
            T = 2048 if s >= long_from else 512
            for g in opt.param_groups:
                g["lr"] = lr_at(s)
            loss = fwd_bwd(T)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            done = s + 1
            if s % 200 == 0 or s == total_steps - 1:
                el = time.time() - t_train
                log(f"step {s:5d}/{total_steps} T={T} loss {loss.item():.4f} lr {lr_at(s):.2e} {el:6.1f}s "
                    f"{done * args.batch_tokens / max(el, 1e-9) / 1e6:.2f} M tok/s")
                if el > hard_stop:
                    log("hard stop: over time budget, ending training early")
                    break
        torch.cuda.synchronize()
        train_s = time.time() - t_train
        tokens = done * args.batch_tokens
        log(f"trained {done} steps, {tokens / 1e6:.1f} M tokens in {train_s:.1f}s")
        return {"steps": done, "tokens_trained": tokens, "train_seconds": round(train_s, 1),
                "long_context_from_step": long_from}

    held_ids = None
    budgets = [float(b) for b in args.sweep.split(",")] if args.sweep else [args.train_seconds]
    if args.deadline:
        room = args.deadline - (time.time() - t_start) - args.export_reserve
        while len(budgets) > 1 and sum(budgets) * 1.1 > room:
            budgets.pop()
        budgets[-1] = min(budgets[-1], room / 1.1 - sum(budgets[:-1]))
    log(f"training budgets {budgets} s ({time.time() - t_start:.0f}s spent so far)")
    best, sweep = None, []
    for budget in budgets:
        run = train_run(budget)
        if len(budgets) > 1:
            # The held-out split is never trained on; choosing the schedule length by its perplexity
            # is model selection among a handful of candidates (stated in train_meta.json).
            if held_ids is None:
                held_ids = tok.encode(heldout, add_special_tokens=False)
            model.eval()
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
                run["heldout_ppl_512_bf16"] = export.perplexity(model, held_ids, 512)["perplexity"]
            log(f"budget {budget:.0f}s: held-out perplexity @512 (bf16 autocast) {run['heldout_ppl_512_bf16']:.2f}")
            sweep.append(run)
            if best is None or run["heldout_ppl_512_bf16"] < best[0]["heldout_ppl_512_bf16"]:
                best = (run, {k: v.detach().clone() for k, v in model.state_dict().items()})
        else:
            best = (run, None)
    run, state = best
    if state is not None:
        model.load_state_dict(state)
        log(f"chosen: {run['tokens_trained'] / 1e6:.0f} M tokens (held-out ppl @512 {run['heldout_ppl_512_bf16']:.2f})")

    meta = {"parameters": n_params, **run, "batch_tokens": args.batch_tokens, "lr": args.lr,
            "stream_tokens": int(N), "stream_mix": {k: int(v) for k, v in counts.items()},
            "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
            "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "script_seconds_before_export": round(time.time() - t_start, 1)}
    if sweep:
        meta["sweep"] = sweep
        meta["selection"] = "schedule length chosen by held-out perplexity @512 among the sweep's runs"
    del closs
    failed = export.export_all(model, tok, heldout, out_dir, quick=False, meta=meta)
    log(f"all done in {time.time() - t_start:.1f}s; failed fixture parts: {failed or 'none'}")


if __name__ == "__main__":
    main()
