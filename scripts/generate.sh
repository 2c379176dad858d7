#!/usr/bin/env bash
# Prints a completion for a prompt with the VeloxQuant engine (no server).
# Usage: scripts/generate.sh [--model DIR] [--max-tokens N] [--temperature T] [--chat] ... "PROMPT"
# (scripts/generate.sh --help lists every option). Builds the engine on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-java.sh
JAR=engine/target/engine-0.1.0-SNAPSHOT.jar
CP_FILE=engine/target/runtime-classpath.txt
if [[ ! -f "$JAR" || ! -f "$CP_FILE" || -n "$(find cache-core engine pom.xml -newer "$JAR" -type f \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' -print -quit 2>/dev/null)" ]]; then
  echo "Building the engine (first run downloads the Maven dependencies)..." >&2
  # One reactor run: the classpath goal then sees cache-core from this build, not from ~/.m2.
  mvn -B -q -ntp -DskipTests package dependency:build-classpath -pl engine -am \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$PWD/$CP_FILE" >/dev/null
fi
CP="$JAR:cache-core/target/cache-core-0.1.0-SNAPSHOT.jar:$(cat "$CP_FILE")"
# shellcheck disable=SC2086
exec java $VELOX_JVM_FLAGS -XX:+UseParallelGC ${VELOX_JAVA_OPTS:-} -cp "$CP" dev.veloxquant.engine.cli.GenerateCommand "$@"
