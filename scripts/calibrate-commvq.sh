#!/usr/bin/env bash
# Fits a calibrated CommVQ key codebook (EM on keys of calibration text, never the held-out split) and
# writes models/<model>/commvq-codebook-b<bits>r<R>.bin, which commvq caches then use automatically.
#   scripts/calibrate-commvq.sh [--model models/velox-tiny] [--bits 2] [--residuals 2] [--tokens 16384]
#                               [--seq 512] [--group 32] [--iterations 15] [--text FILE] [--seed 1] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
CP_FILE=bench/target/runtime-classpath.txt
if [[ -z "${VELOX_BENCH_NO_BUILD:-}" || ! -f "$CP_FILE" ]]; then
  # One reactor run, so the classpath names this build's cache-core and engine, not ~/.m2 copies.
  mvn -B -q -ntp -DskipTests package dependency:build-classpath -pl bench -am \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$PWD/$CP_FILE" >&2
fi
CP="bench/target/classes:$(cat "$CP_FILE")"
# shellcheck disable=SC2086
exec java $VELOX_JVM_FLAGS -Xmx6g -XX:+UseParallelGC -cp "$CP" dev.veloxquant.bench.CalibrateCommVQ "$@"
