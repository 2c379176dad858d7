#!/usr/bin/env bash
# Fits a calibrated CommVQ key codebook (EM on keys of calibration text, never the held-out split) and
# writes models/<model>/commvq-codebook-b<bits>r<R>.bin, which commvq caches then use automatically.
#   scripts/calibrate-commvq.sh [--model models/velox-tiny] [--bits 2] [--residuals 2] [--tokens 16384]
#                               [--seq 512] [--group 32] [--iterations 15] [--text FILE] [--seed 1] [--out FILE]
#                               [--widths measured|weights]   (weights: keep the default's pair widths, fit level shapes only)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
source scripts/bench-classpath.sh
# shellcheck disable=SC2086
exec java $VELOX_JVM_FLAGS -Xmx6g -XX:+UseParallelGC -cp "$CP" dev.veloxquant.bench.CalibrateCommVQ "$@"
