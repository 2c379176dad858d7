#!/usr/bin/env bash
# End-to-end throughput: the VeloxQuant engine vs Jlama 0.8.4 on the same model directory.
# Runs one JVM per (threads, Jlama kernel path) pair; inside each JVM both engines alternate
# (ours, Jlama, ours, Jlama, ...) and the per-round ratios' median is reported. The summary compares
# against the faster of Jlama's two paths (native and pure-Java Panama) at each thread count.
# Usage: scripts/bench-e2e.sh [--model DIR] [--prompt-tokens N] [--decode-tokens N] [--rounds R] [--threads "1 2"]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
MODEL=models/velox-tiny
PROMPT=256
DECODE=128
ROUNDS=5
THREADS="$(nproc) 1"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --prompt-tokens) PROMPT="$2"; shift 2 ;;
    --decode-tokens) DECODE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
echo "Building engine + bench..." >&2
source scripts/bench-classpath.sh >/dev/null
LOG=$(mktemp)
for t in $THREADS; do
  for path in native panama; do
    FLAGS=""
    [[ $path == panama ]] && FLAGS="-Djlama.force_panama_tensor_operations=true"
    echo "== threads=$t jlama=$path" >&2
    # shellcheck disable=SC2086
    java $VELOX_JVM_FLAGS -XX:+UseParallelGC -Xmx4g $FLAGS -cp "$CP" dev.veloxquant.bench.EngineVsJlama \
      --model "$MODEL" --prompt-tokens "$PROMPT" --decode-tokens "$DECODE" --rounds "$ROUNDS" --threads "$t" 2>/dev/null \
      | grep -E '^(config|round|RESULT)' | tee -a "$LOG"
  done
done
echo
echo "Summary (tokens/s, medians; each figure from the JVM run against the faster Jlama path for that metric;"
echo "ratio = median of the per-round ours/Jlama ratios of that run):"
awk '/^RESULT/ {
  for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  t = v["threads"]; p = v["jlama"]
  od[t, p] = v["ours_decode"]; op[t, p] = v["ours_prefill"]
  jd[t, p] = v["jlama_decode"]; jp[t, p] = v["jlama_prefill"]; dr[t, p] = v["decode_ratio"]; pr[t, p] = v["prefill_ratio"]
  seen[t] = 1
}
END {
  printf "%-8s %-12s %-12s %-14s %-14s %-14s %-14s\n", "threads", "ours prefill", "ours decode", "jlama prefill", "jlama decode", "prefill ratio", "decode ratio"
  for (t in seen) {
    bp = (jp[t, "native"] > jp[t, "panama"]) ? "native" : "panama"
    bd = (jd[t, "native"] > jd[t, "panama"]) ? "native" : "panama"
    printf "%-8s %-12s %-12s %-14s %-14s %-14s %-14s\n", t, op[t, bp], od[t, bd], jp[t, bp] " (" bp ")", jd[t, bd] " (" bd ")", pr[t, bp] "x", dr[t, bd] "x"
  }
}' "$LOG"
rm -f "$LOG"
