#!/usr/bin/env bash
# Builds (if needed) and starts the VeloxQuant server on the embedded default model.
# Usage: ./run-server.sh [--server.port=8080] [other Spring properties...]
set -euo pipefail
cd "$(dirname "$0")"
source scripts/find-java.sh
JAR=server/target/veloxquant-server.jar
if [[ ! -f "$JAR" || -n "$(find cache-core engine server pom.xml -newer "$JAR" -type f \( -name '*.java' -o -name '*.xml' -o -name '*.yml' -o -name '*.properties' \) -print -quit 2>/dev/null)" ]]; then
  echo "Building the server (first run downloads the Maven dependencies)..." >&2
  mvn -B -q -DskipTests package -pl server -am
fi
# shellcheck disable=SC2086
exec java $VELOX_JVM_FLAGS -XX:+UseParallelGC ${VELOX_JAVA_OPTS:-} -jar "$JAR" "$@"
