#!/usr/bin/env bash
# Sourced by the project's scripts: exports JAVA_HOME pointing at a JDK 25+ and puts it first on PATH.
# Order: $JAVA_HOME if it is 25 or newer, else the newest Temurin/OpenJDK 25+ under /usr/lib/jvm.
java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}
velox_find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    local v; v=$(java_major "$JAVA_HOME")
    if [[ "${v%%.*}" -ge 25 ]] 2>/dev/null; then return 0; fi
  fi
  local candidate
  for candidate in $(ls -d /usr/lib/jvm/temurin-2[5-9]* /usr/lib/jvm/temurin-[3-9][0-9]* /usr/lib/jvm/*-2[5-9]* /usr/lib/jvm/jdk-2[5-9]* 2>/dev/null | sort -rV); do
    if [[ -x "$candidate/bin/java" ]]; then
      local v; v=$(java_major "$candidate")
      if [[ "${v%%.*}" -ge 25 ]] 2>/dev/null; then export JAVA_HOME="$candidate"; return 0; fi
    fi
  done
  echo "error: VeloxQuant needs JDK 25 or newer. Set JAVA_HOME to a JDK 25+ install (none found under /usr/lib/jvm;" >&2
  echo "       on Debian/Ubuntu install Temurin 25, e.g. the temurin-25-jdk package)." >&2
  return 1
}
velox_find_java || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
export VELOX_JVM_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
