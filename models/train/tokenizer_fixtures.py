#!/usr/bin/env python3
"""tokens.json and chat.json for velox-tiny without transformers: the texts and conversations are
export.py's, the chat template is rendered with jinja2 the way transformers does
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks), and the ids come from the tokenizers
library itself (npm tokenizers@0.23.2, the Rust core of the Python package) via tokenizer_fixtures.js.
export.py on the GPU machine writes the same two files with transformers; use this where no GPU run
is possible. Usage: python3 tokenizer_fixtures.py MODEL_DIR
"""
import json
import os
import subprocess
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment

import export

TEXTS = None


def main():
    model_dir = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    src = open(os.path.join(here, "export.py"), encoding="utf-8").read()
    # the same strings export._tokens / export._chat use
    ns = {}
    start = src.index("    texts = [")
    exec("texts = " + src[start + len("    texts = "):src.index("    ]\n", start) + 6].replace("\n    ", "\n"), ns)
    start = src.index("    convs = [")
    exec("convs = " + src[start + len("    convs = "):src.index("    ]\n", start) + 6].replace("\n    ", "\n"), ns)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    tmpl = env.from_string(open(os.path.join(model_dir, "chat_template.jinja"), encoding="utf-8").read())
    rendered = []
    for c in ns["convs"]:
        r = tmpl.render(messages=c, add_generation_prompt=True)
        assert r == export.render_chat(c, True), r
        rendered.append(r)
    req = {"tokenizer": os.path.join(model_dir, "tokenizer.json"), "texts": ns["texts"] + rendered}
    out = subprocess.run(["node", os.path.join(here, "tokenizer_fixtures.js")], input=json.dumps(req),
                         capture_output=True, text=True, check=True).stdout
    enc = json.loads(out)
    n = len(ns["texts"])
    ref = os.path.join(model_dir, "reference")
    os.makedirs(ref, exist_ok=True)
    tokens = [{"text": t, "ids": e["ids"], "ids_default": e["ids"], "tokens": e["tokens"]}
              for t, e in zip(ns["texts"], enc[:n])]
    with open(os.path.join(ref, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False, indent=1)
    chats = [{"messages": c, "rendered": r, "ids": e["ids"]} for c, r, e in zip(ns["convs"], rendered, enc[n:])]
    with open(os.path.join(ref, "chat.json"), "w", encoding="utf-8") as f:
        json.dump({"add_generation_prompt": True, "default_system_message": export.DEFAULT_SYSTEM,
                   "conversations": chats}, f, ensure_ascii=False, indent=1)
    print(f"tokens.json: {len(tokens)} strings, chat.json: {len(chats)} conversations")


if __name__ == "__main__":
    main()
