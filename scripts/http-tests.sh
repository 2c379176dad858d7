#!/usr/bin/env bash
# Runs every http-tests/*.http file with httpyac against a server started here: the packaged
# server jar (built when missing) on a free loopback port, a random API key, the embedded model.
# The server is always stopped on exit. Exit status: 0 when every assertion passed.
#
# Usage: scripts/http-tests.sh [file.http ...]   (default: every file in http-tests/)
# Env:   VELOX_HTTP_TESTS_READY_TIMEOUT  seconds to wait for readiness (default 180)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/find-java.sh

JAR=server/target/veloxquant-server.jar
if [[ ! -f "$JAR" ]]; then
  echo "http-tests: building $JAR" >&2
  mvn -B -q -ntp -DskipTests package -pl server -am
fi

command -v node >/dev/null || { echo "http-tests: node and npm are required (apt-get install nodejs npm)" >&2; exit 1; }
if [[ ! -x http-tests/node_modules/.bin/httpyac || http-tests/package-lock.json -nt http-tests/node_modules/.package-lock.json ]]; then
  echo "http-tests: installing httpyac (npm ci)" >&2
  (cd http-tests && npm ci --no-audit --no-fund --loglevel=error)
fi

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
API_KEY="vq-$(node -e 'console.log(require("crypto").randomBytes(18).toString("hex"))')"
HOST="http://127.0.0.1:$PORT"
OUT=server/target/http-tests
mkdir -p "$OUT"
LOG="$OUT/server.log"

echo "http-tests: starting the server on $HOST (log: $LOG)" >&2
# shellcheck disable=SC2086
VELOXQUANT_API_KEYS="$API_KEY" java $VELOX_JVM_FLAGS -XX:+UseParallelGC -jar "$JAR" \
  --server.address=127.0.0.1 --server.port="$PORT" >"$LOG" 2>&1 &
SERVER_PID=$!
stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT INT TERM

# GET a URL; prints the body, fails unless the status is 200.
http_get() {
  node -e 'fetch(process.argv[1], {headers: {authorization: "Bearer " + process.argv[2]}})
    .then(async r => { process.stdout.write(await r.text()); process.exit(r.status === 200 ? 0 : 1); })
    .catch(() => process.exit(1))' "$1" "$API_KEY"
}

deadline=$((SECONDS + ${VELOX_HTTP_TESTS_READY_TIMEOUT:-180}))
until health=$(http_get "$HOST/actuator/health/readiness" 2>/dev/null); do
  if [[ "$health" == *FAILED* ]]; then
    echo "http-tests: a model failed to load ($health); last log lines:" >&2; tail -n 40 "$LOG" >&2; exit 1
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "http-tests: the server exited during startup; last log lines:" >&2; tail -n 40 "$LOG" >&2; exit 1
  fi
  if (( SECONDS > deadline )); then
    echo "http-tests: the server was not ready after ${VELOX_HTTP_TESTS_READY_TIMEOUT:-180} s; last log lines:" >&2; tail -n 40 "$LOG" >&2; exit 1
  fi
  sleep 0.5
done
MODEL=$(http_get "$HOST/v1/models" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data[0].id))')
echo "http-tests: server ready after ${SECONDS} s, model $MODEL" >&2

cd http-tests
if (( $# > 0 )); then FILES=("${@#http-tests/}"); else FILES=(*.http); fi
set +e
npx --no-install httpyac send "${FILES[@]}" --all --json -e local \
  --var host="$HOST" apiKey="$API_KEY" model="$MODEL" >"$ROOT/$OUT/results.json" 2>"$ROOT/$OUT/httpyac.err"
rc=$?
set -e
node "$ROOT/scripts/http-tests-summary.js" "$ROOT/$OUT/results.json" || { (( rc != 0 )) || rc=1; }
if (( rc != 0 )); then
  echo "http-tests: FAILED (httpyac exit $rc; details in $OUT/results.json, server log $LOG)" >&2
  [[ -s "$ROOT/$OUT/httpyac.err" ]] && tail -n 20 "$ROOT/$OUT/httpyac.err" >&2
  exit 1
fi
# the summary above ends with the plain "N passed, N failed" line; nothing may follow it
