#!/usr/bin/env bash
# Puts the files a GPU run returned (the device tool's files_at folder) into models/velox-tiny:
#   models/train/unpack_run.sh /path/to/files_at
# early-model.tar.part* hold the Hugging Face directory (weights, config, tokenizer), written before
# the fixtures; reference.tgz holds reference/, samples.txt and train_meta.json.
set -euo pipefail
src="${1:?usage: unpack_run.sh FILES_AT}"
models="$(cd "$(dirname "$0")/.." && pwd)"
cat "$src"/early-model.tar.part* | tar xf - -C "$models"
if [[ -f "$src/reference.tgz" ]]; then tar xzf "$src/reference.tgz" -C "$models"; else echo "no reference.tgz: fixtures missing" >&2; fi
ls -la "$models/velox-tiny" "$models/velox-tiny/reference"
du -sh "$models"
