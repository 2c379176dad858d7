#!/usr/bin/env python3
"""Renders the chat templates in engine/src/test/resources/chat/templates/ with real jinja2, set up the way
transformers' apply_chat_template sets it up (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, its tojson/raise_exception/strftime_now), and writes chat/expected.json for ChatTemplateReferenceTest.

    python3 engine/src/test/generators/chat-template-reference.py      (needs jinja2: apt-get install python3-jinja2)

With arguments <modelDir> <conversationsJson> <outFile> it renders a model directory's own template instead.
"""
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "..", "resources", "chat")
SPECIAL = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, messages, add_generation_prompt, special, extra):
    template = env.from_string(source)
    try:
        text = template.render(messages=messages, tools=extra.get("tools"), documents=None,
                               add_generation_prompt=add_generation_prompt, **special,
                               **{k: v for k, v in extra.items() if k != "tools"})
        return {"rendered": text}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}


def msg(role, content):
    return {"role": role, "content": content}


CONVERSATIONS = [
    [msg("user", "Hello, how are you?")],
    [msg("system", "You are a terse assistant."), msg("user", "What is 2+2?")],
    [msg("system", "  Be nice.  "), msg("user", "Hello there!"), msg("assistant", " Hi! How can I help?\n"),
     msg("user", "Tell me a joke, please?")],
    [msg("user", "Multi\nline\n\n  content with trailing space   "), msg("assistant", "Sure. Ünïcödé ✓ 日本語 😀"), msg("user", "ok")],
    [msg("user", "a"), msg("user", "b")],
    [msg("system", "S"), msg("user", "What's the weather in Paris?"), msg("assistant", "Let me check."),
     msg("tool", "{\"temp\": 21}"), msg("tool", "sunny"), msg("user", "thanks")],
    [msg("user", "Hi"), msg("assistant", "<think>\nreasoning here\n</think>\n\nHello!"), msg("user", "And now?")],
    [msg("user", "")],
]

WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Current weather \"now\" in a city",
                "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "City, e.g. Zürich"},
                                                                 "days": {"type": "integer", "minimum": 1}},
                               "required": ["location"]}}}

EXTRA_CASES = [
    ("qwen2", 1, {"tools": [WEATHER_TOOL]}),
    ("qwen2", 5, {"tools": [WEATHER_TOOL, {"type": "function", "function": {"name": "noop", "parameters": {}}}]}),
    ("llama31", 1, {"tools": [WEATHER_TOOL], "date_string": "06 Dec 2026"}),
    ("llama31", 2, {"tools_in_user_message": False, "tools": [WEATHER_TOOL]}),
    ("qwen3", 6, {"enable_thinking": False}),
    ("qwen3", 0, {"enable_thinking": True}),
]


def main():
    env = environment()
    if len(sys.argv) == 4:
        model_dir, conversations_file, out_file = sys.argv[1:]
        path = os.path.join(model_dir, "chat_template.jinja")
        if os.path.exists(path):
            source = open(path, encoding="utf-8").read()
        else:
            source = json.load(open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8"))["chat_template"]
        config = json.load(open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8"))
        special = {}
        for name in ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"]:
            value = config.get(name)
            if isinstance(value, dict):
                value = value.get("content")
            if value is not None:
                special[name] = value
        cases = []
        for messages in json.load(open(conversations_file, encoding="utf-8")):
            for agp in (True, False):
                cases.append({"messages": messages, "add_generation_prompt": agp, **render(env, source, messages, agp, special, {})})
        with open(out_file, "w", encoding="utf-8") as f:
            json.dump(cases, f, ensure_ascii=False, indent=1)
            f.write("\n")
        return
    cases = []
    names = sorted(n[:-len(".jinja")] for n in os.listdir(os.path.join(RESOURCES, "templates")) if n.endswith(".jinja"))
    for name in names:
        source = open(os.path.join(RESOURCES, "templates", name + ".jinja"), encoding="utf-8").read()
        runs = [(i, {}) for i in range(len(CONVERSATIONS))] + [(i, extra) for (n, i, extra) in EXTRA_CASES if n == name]
        for index, extra in runs:
            for agp in (True, False):
                result = render(env, source, CONVERSATIONS[index], agp, SPECIAL, extra)
                cases.append({"template": name, "messages": CONVERSATIONS[index], "add_generation_prompt": agp,
                              "variables": extra, **result})
    with open(os.path.join(RESOURCES, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"special_tokens": SPECIAL, "jinja2_version": jinja2.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases,", sum(1 for c in cases if "error" in c), "raise an error")


if __name__ == "__main__":
    main()
