#!/usr/bin/env bash
# Attention time per generated token over every KV-cache method (fp16, int8/int4/int2, turboquant,
# commvq when built) at 512 / 2k / 8k / 32k context, velox-tiny and a 32q/8kv/128 geometry, with the
# ratio against fp16 from the same run. Arguments go to dev.veloxquant.bench.AttentionBenchmark, e.g.
#   scripts/bench-attention.sh --contexts 512,32768 --geometries tiny --out /tmp/attention.md
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
if [[ -z "${VELOX_BENCH_NO_BUILD:-}" ]]; then
  mvn -B -q -ntp -o compile -pl bench -am
fi
exec java $VELOX_JVM_FLAGS -Xmx6g -XX:+UseParallelGC -cp cache-core/target/classes:bench/target/classes \
  dev.veloxquant.bench.AttentionBenchmark "$@"
