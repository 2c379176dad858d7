# Sourced by the bench scripts: builds cache-core, engine and bench in one reactor run (so the
# classpath names this build's module jars, not ~/.m2 copies; nothing is installed) and sets CP.
# VELOX_BENCH_NO_BUILD=1 reuses the last build when there is one.
CP_FILE=bench/target/runtime-classpath.txt
if [[ -z "${VELOX_BENCH_NO_BUILD:-}" || ! -f "$CP_FILE" ]]; then
  mvn -B -q -ntp -DskipTests package dependency:build-classpath -pl bench -am \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$PWD/$CP_FILE" >&2
fi
CP="bench/target/classes:$(cat "$CP_FILE")"
