#!/usr/bin/env bash
# The KV-cache quality report on the embedded model: writes docs/quality.md and docs/quality.png.
# Rerun with --check to regenerate the table and compare it with the committed one.
#   scripts/quality-report.sh [--windows 24] [--context 2048] [--chunk 1] [--methods fp16,int4,commvq:b=2:r=2] [--check]
# Extra JVM options (ablation switches such as -Dveloxquant.commvq.uniformBits=true) go in VELOX_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
source scripts/bench-classpath.sh
# shellcheck disable=SC2086
exec java $VELOX_JVM_FLAGS ${VELOX_JAVA_OPTS:-} -Djava.awt.headless=true -Xmx8g -XX:+UseParallelGC -cp "$CP" \
  dev.veloxquant.bench.quality.QualityReport "$@"
