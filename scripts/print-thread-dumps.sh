#!/usr/bin/env bash
# Prints, from each thread dump in a directory, the generation, matmul and HTTP threads (top frames)
# and the JIT state of the engine's hot kernels (server tests write a dump when they time out
# waiting for the server: ThreadDumpOnTimeout).
set -uo pipefail
dir=${1:-server/target/thread-dumps}
[[ -d "$dir" ]] || exit 0
for f in "$dir"/*.txt; do
  [[ -f "$f" ]] || continue
  echo "=== threads when $(basename "$f" .txt) timed out (whole dump: $f) ==="
  awk '/^# compiler queue/     {part = "queue"; n = 0}
       /^# compiled code/      {part = "code"; print; next}
       part == "queue"         {if (n++ < 20) print; next}
       part == "code"          {if (/(Bf16Matrix|F16Matrix|Matmul|Parallel|CodeScorer|LlamaForward)/) print; next}
       /^# /                   {print; next}
       /^"/                    {keep = /^"(generation-|velox-matmul-|reactor-http-)/; n = 0}
       keep && n < 14          {print; n++}' "$f"
done
