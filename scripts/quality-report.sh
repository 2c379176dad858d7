#!/usr/bin/env bash
# The KV-cache quality report on the embedded model: writes docs/quality.md and docs/quality.png.
# Rerun with --check to regenerate the table and compare it with the committed one.
#   scripts/quality-report.sh [--windows 8] [--context 2048] [--chunk 1] [--methods fp16,int4,commvq:b=2:r=2] [--check]
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
exec java $VELOX_JVM_FLAGS -Djava.awt.headless=true -Xmx8g -XX:+UseParallelGC -cp "$CP" \
  dev.veloxquant.bench.quality.QualityReport "$@"
