#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what is missing, then every module's tests
# (Maven Surefire) and the http-tests/ against a live server.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/find-java.sh
echo "Using JDK at $JAVA_HOME"
scripts/install-test-prerequisites.sh
rm -rf server/target/thread-dumps
status=0
mvn -B -ntp verify "$@" || status=$?
# A server test that timed out waiting for a response left a thread dump (also when its rerun passed).
scripts/print-thread-dumps.sh server/target/thread-dumps
if [[ $status -ne 0 ]]; then
  exit "$status"
fi
scripts/http-tests.sh
