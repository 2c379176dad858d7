#!/usr/bin/env bash
# Attention time per token, CommVQ vs fp16, at 512..32k context (one layer, synthetic keys).
# Usage: scripts/bench-commvq.sh [contexts] [kvHeads] [heads] [headDim] [configs]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
mvn -B -q -ntp -o compile -pl bench -am >&2
exec java $VELOX_JVM_FLAGS -Xmx4g -cp cache-core/target/classes:engine/target/classes:bench/target/classes \
  dev.veloxquant.bench.CommVQAttentionBench "$@"
