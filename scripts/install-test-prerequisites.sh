#!/usr/bin/env bash
# Installs what the test suite needs beyond the JDK and Maven, only when missing (idempotent):
#   - Prometheus and promtool (Debian's `prometheus` package) for PrometheusScrapeTest
#   - node/npm and the pinned httpyac (http-tests/package-lock.json) for scripts/http-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "prerequisites: cannot install $* (not root, no passwordless sudo); install it by hand" >&2; return 1
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    echo "prerequisites: no apt-get here; install $* by hand" >&2; return 1
  fi
  echo "prerequisites: installing $* (apt-get)" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  # The Debian package's service is not started in containers without systemd; the tests start
  # their own Prometheus on a free port.
  apt_install prometheus || true
fi
if ! command -v npm >/dev/null; then
  apt_install nodejs npm || true
fi
if command -v npm >/dev/null && [[ ! -x http-tests/node_modules/.bin/httpyac || http-tests/package-lock.json -nt http-tests/node_modules/.package-lock.json ]]; then
  echo "prerequisites: npm ci in http-tests/" >&2
  (cd http-tests && npm ci --no-audit --no-fund --loglevel=error)
fi
