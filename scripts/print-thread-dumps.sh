#!/usr/bin/env bash
# Prints the generation, matmul and HTTP threads (their top frames) of each thread dump in a directory
# (server tests write one when they time out waiting for the server: ThreadDumpOnTimeout).
set -uo pipefail
dir=${1:-server/target/thread-dumps}
[[ -d "$dir" ]] || exit 0
for f in "$dir"/*.txt; do
  [[ -f "$f" ]] || continue
  echo "=== threads when $(basename "$f" .txt) timed out (whole dump: $f) ==="
  awk '/^# /{print; next}
       /^"/{keep = ($0 ~ /^"(generation-|velox-matmul-|reactor-http-)/); n = 0}
       keep && n < 14 {print; n++}' "$f"
done
