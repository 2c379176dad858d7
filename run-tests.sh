#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what is missing, then every module's tests
# (Maven Surefire) and the http-tests/ against a live server.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/find-java.sh
echo "Using JDK at $JAVA_HOME"
scripts/install-test-prerequisites.sh
mvn -B -ntp verify "$@"
scripts/http-tests.sh
