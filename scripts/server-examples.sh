#!/usr/bin/env bash
# Starts the server on the embedded model on a free port, sends the manual's example requests
# (docs/manual/server.md) and writes every response to a folder (default target/server-examples),
# then prints the usage.kv_cache figures per method. Usage: scripts/server-examples.sh [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
OUT=${1:-target/server-examples}
mkdir -p "$OUT"
JAR=server/target/veloxquant-server.jar
[[ -f "$JAR" ]] || mvn -B -q -ntp -DskipTests package -pl server -am
rm -f "$OUT/port"
# shellcheck disable=SC2086
java $VELOX_JVM_FLAGS -jar "$JAR" --server.port=0 --veloxquant.port-file="$OUT/port" > "$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  [[ -f "$OUT/port" ]] && curl -sf "localhost:$(cat "$OUT/port")/actuator/health/readiness" >/dev/null && break
  sleep 1
done
B="http://localhost:$(cat "$OUT/port")"
echo "server ready at $B" >&2
json() { curl -s "$B$1" -H 'Content-Type: application/json' -d "$2"; }

PROMPT="Once upon a time, in a small village by the sea, there lived a little girl named Lily. She loved to play on the beach with her dog, Max. Every morning they ran along the sand and looked for shells. One day, Lily found a big shiny shell that was different from all the others."
LONG="$PROMPT $PROMPT $PROMPT $PROMPT $PROMPT $PROMPT"
curl -s "$B/v1/models" > "$OUT/models.json"
for m in fp16 int8 int4 commvq turboquant; do
  json /v1/completions "{\"model\":\"velox-tiny\",\"prompt\":\"$PROMPT\",\"max_tokens\":48,\"temperature\":0,\"kv_cache\":{\"method\":\"$m\"}}" > "$OUT/completion-$m.json"
done
json /v1/completions "{\"model\":\"velox-tiny\",\"prompt\":\"$PROMPT\",\"max_tokens\":48,\"temperature\":0,\"kv_cache\":{\"method\":\"commvq\",\"bits\":1,\"num_residuals\":2,\"value_bits\":8}}" > "$OUT/completion-commvq-1x2-v8.json"
for m in fp16 int4 commvq turboquant; do
  json /v1/completions "{\"model\":\"velox-tiny\",\"prompt\":\"$LONG\",\"max_tokens\":32,\"temperature\":0,\"kv_cache\":{\"method\":\"$m\"}}" > "$OUT/long-$m.json"
done
json /v1/chat/completions '{"model":"velox-tiny","messages":[{"role":"user","content":"Tell me a story about a cat."}],"max_tokens":40,"temperature":0.8,"seed":7,"kv_cache":{"method":"int4"}}' > "$OUT/chat.json"
curl -sN "$B/v1/chat/completions" -H 'Content-Type: application/json' -d '{"model":"velox-tiny","messages":[{"role":"user","content":"Say hello."}],"max_tokens":6,"temperature":0,"stream":true,"stream_options":{"include_usage":true},"kv_cache":"turboquant"}' > "$OUT/chat-stream.txt"
curl -s -i "$B/v1/completions" -H 'Content-Type: application/json' -d '{"model":"velox-tiny","prompt":"Hi","kv_cache":{"method":"commvq","bits":9}}' > "$OUT/error-bits.txt"
curl -s -i "$B/v1/completions" -H 'Content-Type: application/json' -d '{"model":"velox-9b","prompt":"Hi"}' > "$OUT/error-model.txt"
json /v1/tokenize '{"model":"velox-tiny","prompt":"Once upon a time"}' > "$OUT/tokenize.json"

echo "| prompt | method | tokens | key bits/elem | value bits/elem | bytes | fp16 bytes | saved | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in "$OUT"/completion-*.json "$OUT"/long-*.json; do
  name=$(basename "$f" .json)
  python3 - "$f" "$name" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))["usage"]["kv_cache"]
kind, method = sys.argv[2].split("-", 1)
print(f"| {'71 tokens' if kind == 'completion' else '421 tokens'} | {method} | {k['tokens']} | {k['key_bits_per_element']} | "
      f"{k['value_bits_per_element']} | {k['bytes']} | {k['fp16_bytes']} | {k['saved_bytes']} | {k['compression_ratio']} |")
PY
done
