"""Model definition, Hugging Face export and the reference fixtures of velox-tiny.

Everything here runs with transformers/tokenizers/safetensors on the GPU machine; train.py calls
export_all() once on the untrained model (smoke) and once after training.
"""
import copy
import inspect
import json
import math
import os
import time

try:  # render_chat and the template are also used without torch (pretokenize.py)
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None

VOCAB = 8192
DEFAULT_SYSTEM = "You are Velox, a small helpful assistant."
# ChatML with a default system message. Real newlines (not Jinja escapes) keep the template easy to
# read and to implement outside Python.
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set system_message = messages[0]['content'] -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set system_message = '" + DEFAULT_SYSTEM + "' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{{- '<|im_start|>system\n' + system_message + '<|im_end|>\n' -}}"
    "{%- for message in loop_messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\n' -}}"
    "{%- endif -%}"
)


def render_chat(messages, add_generation_prompt=False):
    """Same text as CHAT_TEMPLATE (checked against apply_chat_template in train.py)."""
    if messages and messages[0]["role"] == "system":
        sys_msg, rest = messages[0]["content"], messages[1:]
    else:
        sys_msg, rest = DEFAULT_SYSTEM, messages
    s = "<|im_start|>system\n" + sys_msg + "<|im_end|>\n"
    for m in rest:
        s += "<|im_start|>" + m["role"] + "\n" + m["content"] + "<|im_end|>\n"
    if add_generation_prompt:
        s += "<|im_start|>assistant\n"
    return s


def config():
    from transformers import LlamaConfig
    kw = dict(vocab_size=VOCAB, hidden_size=384, intermediate_size=1024, num_hidden_layers=6,
              num_attention_heads=6, num_key_value_heads=2, head_dim=64, max_position_embeddings=2048,
              rms_norm_eps=1e-5, hidden_act="silu", tie_word_embeddings=True, attention_bias=False,
              mlp_bias=False, initializer_range=0.02, bos_token_id=0, eos_token_id=[2, 0], pad_token_id=0)
    params = inspect.signature(LlamaConfig.__init__).parameters
    if "rope_parameters" in params:
        kw["rope_parameters"] = {"rope_type": "default", "rope_theta": 10000.0}
    else:
        kw["rope_theta"] = 10000.0
    return LlamaConfig(**kw)


def new_model():
    from transformers import LlamaForCausalLM
    return LlamaForCausalLM(config())


def save_tokenizer(tok, out_dir):
    from transformers import PreTrainedTokenizerFast
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|im_end|>",
                                 pad_token="<|endoftext|>", model_max_length=2048, clean_up_tokenization_spaces=False)
    hf.chat_template = CHAT_TEMPLATE
    hf.save_pretrained(out_dir)
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(out_dir)


def rope_cos_sin(model, seq, device):
    rot = model.model.rotary_emb
    pos = torch.arange(seq, device=device)[None]
    dummy = torch.zeros(1, seq, 64, device=device, dtype=torch.float32)
    cos, sin = rot(dummy, pos)
    return cos[0], sin[0]  # [seq, head_dim]


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def perplexity(model, ids, ctx, max_windows=None):
    """Non-overlapping windows of ctx tokens over the held-out ids; the trailing partial window is
    dropped; every window is scored on its ctx-1 next-token predictions (no BOS)."""
    n_win = len(ids) // ctx
    if max_windows:
        n_win = min(n_win, max_windows)
    x = torch.tensor(ids[: n_win * ctx], device=model.device).view(n_win, ctx)
    nll, first4 = 0.0, None
    count = 0
    bs = max(1, 16384 // ctx)
    for i in range(0, n_win, bs):
        xb = x[i:i + bs]
        logits = model(input_ids=xb, use_cache=False).logits.float()
        l = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), xb[:, 1:].reshape(-1), reduction="none")
        l = l.view(xb.size(0), ctx - 1).double()
        for j in range(xb.size(0)):
            nll += l[j].sum().item()
            count += ctx - 1
            if i + j == 3:
                first4 = math.exp(nll / count)
    return {"context": ctx, "windows": n_win, "tokens_scored": count, "perplexity": math.exp(nll / count),
            "first4_windows_perplexity": first4, "first4_windows_tokens_scored": 4 * (ctx - 1) if n_win >= 4 else None}


def export_all(model, tok, heldout, out_dir, quick, meta):
    """Save the model and tokenizer (fatal on error), then write each fixture; a failing fixture is
    reported with its traceback and the others still run. Returns the names of failed parts."""
    import traceback
    st = {"failed": []}

    def part(name, fn):
        try:
            fn()
        except Exception:
            print(f"  !! fixture part {name} FAILED:\n{traceback.format_exc()}", flush=True)
            st["failed"].append(name)

    ctx = _export_base(model, tok, out_dir)
    m, tok, ref, dev = ctx
    if os.environ.get("OUT") and not quick:  # ship the weights before the fixtures, in case time runs out
        _early_copy(out_dir, os.environ["OUT"])
    held_ids = tok.encode(heldout, add_special_tokens=False)
    part("tokens", lambda: _tokens(tok, ref))
    part("chat", lambda: _chat(tok, ref))
    part("logits", lambda: _logits(m, tok, ref, dev, held_ids))
    part("kv", lambda: _kv(m, ref, dev, held_ids))
    ppl = {}
    part("perplexity", lambda: ppl.update(_ppl(m, ref, held_ids, quick)))
    part("samples", lambda: _samples(m, tok, out_dir, dev))
    meta = dict(meta)
    meta["heldout_ppl_512"] = ppl.get("512", {}).get("perplexity")
    meta["heldout_ppl_2048"] = ppl.get("2048", {}).get("perplexity")
    meta["fixture_failures"] = st["failed"]
    with open(os.path.join(out_dir, "train_meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    sizes = {fn: os.path.getsize(os.path.join(ref, fn)) for fn in os.listdir(ref)}
    print(f"  reference sizes {sizes} total {sum(sizes.values())}; failed parts: {st['failed']}", flush=True)
    del m
    torch.cuda.empty_cache()
    torch.backends.cuda.matmul.allow_tf32 = True
    return st["failed"]


def _early_copy(out_dir, dest):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for fn in sorted(os.listdir(out_dir)):
            if os.path.isfile(os.path.join(out_dir, fn)):
                tf.add(os.path.join(out_dir, fn), arcname="velox-tiny/" + fn)
    data = buf.getvalue()
    for i in range(0, len(data), 15_000_000):
        with open(os.path.join(dest, f"early-model.tar.part{i // 15_000_000}"), "wb") as f:
            f.write(data[i:i + 15_000_000])
    print(f"  early copy of the model: {len(data)} bytes to {dest}", flush=True)


def _export_base(model, tok, out_dir):
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    t0 = time.time()
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    m16 = copy.deepcopy(model).to(torch.bfloat16)
    m16.generation_config = GenerationConfig(bos_token_id=0, eos_token_id=[2, 0], pad_token_id=0, do_sample=True,
                                             temperature=0.8, top_k=50, top_p=0.95, max_new_tokens=256)
    m16.config.bos_token_id, m16.config.eos_token_id, m16.config.pad_token_id = 0, [2, 0], 0
    m16.save_pretrained(out_dir, safe_serialization=True)
    del m16
    tok.save_pretrained(out_dir)
    print(f"  saved model+tokenizer to {out_dir}: {sorted(os.listdir(out_dir))}", flush=True)

    # Everything below uses the files exactly as saved, read back in float32 on the GPU with TF32 off.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    tok = AutoTokenizer.from_pretrained(out_dir)
    m = AutoModelForCausalLM.from_pretrained(out_dir, dtype=torch.float32, attn_implementation="eager").cuda().eval()
    tied = m.lm_head.weight.data_ptr() == m.model.embed_tokens.weight.data_ptr()
    from safetensors import safe_open
    with safe_open(os.path.join(out_dir, "model.safetensors"), "pt") as f:
        keys = list(f.keys())
        dtypes = {f.get_slice(k).get_dtype() for k in keys}
    print(f"  reloaded: tied={tied} tensors={len(keys)} dtypes={dtypes} lm_head stored={'lm_head.weight' in keys}", flush=True)
    ref = os.path.join(out_dir, "reference")
    os.makedirs(ref, exist_ok=True)
    return m, tok, ref, m.device


def _tokens(tok, ref):
    texts = [
        "Hello, world!", "The quick brown fox jumps over the lazy dog.",
        "In the beginning God created the heaven and the earth.",
        "  leading spaces and    runs   of\tspaces\t\tand tabs  ", "line one\nline two\n\n\nafter three newlines\r\n",
        "Numbers: 0 7 42 1234 3.14159 -17 1,000,000 2026-12-06 0x7fff", "Ünïcödé: naïve café, São Paulo, Zürich, Ærøskøbing",
        "Emoji: 😀 🚀 👍🏽 ❤️ 🇩🇪 👨‍👩‍👧", "CJK: 日本語のテキスト、中文文本，한국어 텍스트",
        "Greek and Cyrillic: αβγ δέλτα — Привет, мир!", "def add(a, b):\n    return a + b  # sum\n",
        "for (int i = 0; i < n; i++) { sum += x[i]; }", "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
        "<|im_start|>user\nWhat is a cat?<|im_end|>\n<|im_start|>assistant\n", "text<|endoftext|>more text",
        "Don't, won't, it's, they're, I'm, we've, you'd", "mixedCASE snake_case kebab-case CamelCase ALLCAPS",
        "https://www.debian.org/doc/manuals/debian-reference/ch01.en.html?x=1&y=2", "", " ", "a",
        "Zero\u200bwidth\u00a0nbsp and soft\u00adhyphen", "$ ls -la /usr/share/dict | grep -v '^#' > out.txt 2>&1",
        "Supercalifragilisticexpialidocious antidisestablishmentarianism",
        "And he said unto them, Go ye into all the world, and preach the gospel to every creature.",
    ]
    tokens = [{"text": t, "ids": tok.encode(t, add_special_tokens=False),
               "ids_default": tok.encode(t), "tokens": tok.convert_ids_to_tokens(tok.encode(t, add_special_tokens=False))}
              for t in texts]
    for e in tokens:
        assert tok.decode(e["ids"]) == e["text"], e["text"]
    with open(os.path.join(ref, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False, indent=1)


def _chat(tok, ref):
    convs = [
        [{"role": "user", "content": "What does the word \"harbor\" mean?"}],
        [{"role": "system", "content": "You are a terse assistant."}, {"role": "user", "content": "Define serendipity."}],
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi! Ask me what a word means."},
         {"role": "user", "content": "What is a lighthouse?"}],
        [{"role": "user", "content": "Ünïcödé 😀 and 日本語?\n  Two lines, trailing spaces  "}],
        [{"role": "system", "content": ""}, {"role": "user", "content": "Empty system prompt."}],
    ]
    chats = []
    for c in convs:
        rendered = tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
        assert rendered == render_chat(c, True), rendered
        chats.append({"messages": c, "rendered": rendered, "ids": tok.encode(rendered, add_special_tokens=False)})
    with open(os.path.join(ref, "chat.json"), "w", encoding="utf-8") as f:
        json.dump({"add_generation_prompt": True, "default_system_message": DEFAULT_SYSTEM, "conversations": chats},
                  f, ensure_ascii=False, indent=1)


def _logits(m, tok, ref, dev, held_ids):
    from safetensors.torch import save_file
    prompts = [
        held_ids[1000:1016],
        tok.encode("The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures: he "
                   "leadeth me beside the still waters. He restoreth my soul.", add_special_tokens=False)[:40],
        held_ids[50000:50080],
        tok.encode(render_chat([{"role": "user", "content": "What does the word \"ocean\" mean?"},
                                {"role": "assistant", "content": "A large body of salt water that covers most of the earth."},
                                {"role": "user", "content": "And what is a river? Please answer in one sentence, like a "
                                 "dictionary would, and mention where rivers usually flow to."}], True),
                   add_special_tokens=False)[:128],
        held_ids[150000:150192],
    ]
    for p in prompts:
        assert 16 <= len(p) <= 512, len(p)
    n_full = [6, 6, 6, 7, 7]
    tensors = {}
    total_full = 0
    for i, p in enumerate(prompts):
        x = torch.tensor([p], device=dev)
        with torch.no_grad():
            lg = m(input_ids=x, use_cache=False).logits[0].float()
        top = torch.topk(lg, 50, dim=-1)
        full_pos = torch.linspace(0, len(p) - 1, n_full[i]).round().long().unique()
        tensors[f"p{i}.input_ids"] = x[0].to(torch.int32).cpu()
        tensors[f"p{i}.top_ids"] = top.indices.to(torch.int32).cpu()
        tensors[f"p{i}.top_logits"] = top.values.cpu()
        tensors[f"p{i}.lse"] = torch.logsumexp(lg.double(), dim=-1).float().cpu()
        tensors[f"p{i}.full_positions"] = full_pos.to(torch.int32).cpu()
        tensors[f"p{i}.full_logits"] = lg[full_pos.to(dev)].cpu().contiguous()
        total_full += len(full_pos)
    assert total_full >= 32, total_full
    save_file(tensors, os.path.join(ref, "logits.safetensors"),
              metadata={"prompts": str(len(prompts)), "dtype": "float32", "bos": "none", "top_k": "50"})


def _kv(m, ref, dev, held_ids):
    """Hooks on q/k/v_proj; RoPE applied here with the model's own cos/sin, checked against o_proj's input."""
    from safetensors.torch import save_file
    seq = 512
    ids = held_ids[200000:200000 + seq] if len(held_ids) > 200000 + seq else held_ids[-seq:]
    x = torch.tensor([ids], device=dev)
    cap, hooks = {}, []
    for l, layer in enumerate(m.model.layers):
        at = layer.self_attn
        for nm in ("q_proj", "k_proj", "v_proj"):
            hooks.append(getattr(at, nm).register_forward_hook(
                lambda mod, inp, out, l=l, nm=nm: cap.__setitem__((l, nm), out.detach()[0])))
        hooks.append(at.o_proj.register_forward_hook(
            lambda mod, inp, out, l=l: cap.__setitem__((l, "o_in"), inp[0].detach()[0])))
    with torch.no_grad():
        m(input_ids=x, use_cache=False)
    for h in hooks:
        h.remove()
    cos, sin = rope_cos_sin(m, seq, dev)
    kv = {"input_ids": x[0].to(torch.int32).cpu()}
    H, KV, D = m.config.num_attention_heads, m.config.num_key_value_heads, 64
    worst = 0.0
    causal = torch.ones(seq, seq, device=dev, dtype=torch.bool).tril()
    for l in range(m.config.num_hidden_layers):
        q = cap[(l, "q_proj")].view(seq, H, D).transpose(0, 1)
        k = cap[(l, "k_proj")].view(seq, KV, D).transpose(0, 1)
        v = cap[(l, "v_proj")].view(seq, KV, D).transpose(0, 1)
        qr = q * cos + rotate_half(q) * sin
        kr = k * cos + rotate_half(k) * sin
        # check the RoPE we applied: causal attention with these tensors must reproduce o_proj's input
        krep, vrep = kr.repeat_interleave(H // KV, 0), v.repeat_interleave(H // KV, 0)
        att = (qr @ krep.transpose(1, 2)) / math.sqrt(D)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        o = (att @ vrep).transpose(0, 1).reshape(seq, H * D)
        worst = max(worst, (o - cap[(l, "o_in")]).abs().max().item())
        kv[f"layer{l}.k_pre"] = k.half().cpu().contiguous()
        kv[f"layer{l}.k_post"] = kr.half().cpu().contiguous()
        kv[f"layer{l}.v"] = v.half().cpu().contiguous()
        kv[f"layer{l}.q"] = qr.half().cpu().contiguous()
    print(f"  kv capture: max |attention(q_post,k_post,v) - o_proj input| = {worst:.2e}", flush=True)
    assert worst < 1e-3, worst
    save_file(kv, os.path.join(ref, "kv.safetensors"),
              metadata={"seq": str(seq), "layers": str(m.config.num_hidden_layers), "dtype": "float16",
                        "layout": "[heads, seq, head_dim]", "rope": "rotate_half (HF Llama), theta 10000",
                        "o_proj_check_max_abs": f"{worst:.3e}"})


def _ppl(m, ref, held_ids, quick):
    ppl = {"file": "models/velox-tiny/eval/heldout.txt", "heldout_tokens": len(held_ids), "bos": "none",
           "dtype": "float32", "attn_implementation": "eager",
           "method": "tokenize the whole file without special tokens; cut into non-overlapping windows of "
                     "`context` tokens, dropping the trailing partial window; run each window independently "
                     "(fresh context, no BOS); score the context-1 next-token predictions of every window; "
                     "perplexity = exp(total NLL / tokens scored)."}
    for ctx in (512, 2048):
        with torch.no_grad():
            ppl[str(ctx)] = perplexity(m, held_ids, ctx, max_windows=8 if quick else None)
        print(f"  held-out perplexity @{ctx}: {ppl[str(ctx)]}", flush=True)
    with open(os.path.join(ref, "perplexity.json"), "w") as f:
        json.dump(ppl, f, indent=1)
    return ppl


def _samples(m, tok, out_dir, dev):
    """Three sampled continuations and chat replies, verbatim, into samples.txt."""
    lines = []
    torch.manual_seed(1234)
    for prompt in ["The meaning of life is", "In the beginning", "A computer program is"]:
        x = torch.tensor([tok.encode(prompt, add_special_tokens=False)], device=dev)
        out = m.generate(x, max_new_tokens=80, do_sample=True, temperature=0.8, top_k=50, top_p=0.95,
                         pad_token_id=0, eos_token_id=[0, 2])
        lines.append(f"### continuation (temperature 0.8, top_k 50, top_p 0.95, seed 1234)\nPROMPT: {prompt}\n"
                     f"OUTPUT: {tok.decode(out[0], skip_special_tokens=False)}\n")
    for q in ['What does the word "harbor" mean?', "Who are you?"]:
        chat = render_chat([{"role": "user", "content": q}], True)
        x = torch.tensor([tok.encode(chat, add_special_tokens=False)], device=dev)
        out = m.generate(x, max_new_tokens=80, do_sample=False, pad_token_id=0, eos_token_id=[0, 2])
        reply = tok.decode(out[0, x.size(1):], skip_special_tokens=False)
        lines.append(f"### chat reply (greedy)\nUSER: {q}\nASSISTANT: {reply}\n")
    with open(os.path.join(out_dir, "samples.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines), flush=True)
