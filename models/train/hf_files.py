#!/usr/bin/env python3
"""Writes the tokenizer side of models/velox-tiny in Hugging Face layout without transformers:
tokenizer.json (copied), tokenizer_config.json and chat_template.jinja as transformers 5 saves them
for a PreTrainedTokenizerFast, plus config.json and generation_config.json for the fixed geometry.
export.py rewrites all of these with transformers itself after a GPU run.
Usage: python3 hf_files.py TOKENIZER_JSON MODEL_DIR
"""
import json
import os
import shutil
import sys

import export


def main():
    tok_json, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    shutil.copy(tok_json, os.path.join(out, "tokenizer.json"))
    specials = json.load(open(tok_json, encoding="utf-8"))["added_tokens"]
    cfg = {
        "added_tokens_decoder": {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                                  "single_word", "special")} for t in specials},
        "bos_token": "<|endoftext|>", "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>",
        "extra_special_tokens": {}, "model_max_length": 2048, "pad_token": "<|endoftext|>",
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    json.dump(cfg, open(os.path.join(out, "tokenizer_config.json"), "w"), indent=2)
    with open(os.path.join(out, "chat_template.jinja"), "w", encoding="utf-8") as f:
        f.write(export.CHAT_TEMPLATE)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
        "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": [2, 0], "pad_token_id": 0, "head_dim": 64,
        "hidden_act": "silu", "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1024,
        "max_position_embeddings": 2048, "mlp_bias": False, "num_attention_heads": 6, "num_hidden_layers": 6,
        "num_key_value_heads": 2, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "rope_theta": 10000.0,
        "tie_word_embeddings": True, "dtype": "bfloat16", "use_cache": True, "vocab_size": export.VOCAB,
    }
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    gen = {"bos_token_id": 0, "do_sample": True, "eos_token_id": [2, 0], "max_new_tokens": 256, "pad_token_id": 0,
           "temperature": 0.8, "top_k": 50, "top_p": 0.95}
    json.dump(gen, open(os.path.join(out, "generation_config.json"), "w"), indent=2)
    print(f"wrote {sorted(os.listdir(out))}")


if __name__ == "__main__":
    main()
