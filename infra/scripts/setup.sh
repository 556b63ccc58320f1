#!/usr/bin/env bash
# Everything the project needs, installed by its own files: npm dependencies (Node 24 among
# them, from the npm registry), the build, the Kafka jars (Maven Central, with Java and Maven
# from Debian where missing), PostgreSQL and Prometheus (Debian, where missing), the API fuzzer (PyPI). Idempotent and quick on
# a second run.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
[ -x "$TIDINGS_NODE" ] || die "Node 24 did not install: $TIDINGS_NODE is missing"
case "$("$TIDINGS_NODE" --version)" in
  v24.*) ;;
  *) die "expected Node 24 at $TIDINGS_NODE, found $("$TIDINGS_NODE" --version)" ;;
esac

command -v openssl >/dev/null || apt_install openssl
"$TIDINGS_ROOT/infra/kafka/fetch.sh"
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || [ -n "${DATABASE_URL:-}" ] || apt_install postgresql
# Prometheus and promtool: the alert rules' unit tests and the chaos run's scraper.
command -v promtool >/dev/null || apt_install prometheus
# Headless Chromium for the console's browser tests (test/browser), driven by puppeteer-core.
command -v chromium >/dev/null || apt_install chromium
# Schemathesis (PyPI): fuzzes the management API from its OpenAPI document in npm test.
fuzz_venv="$TIDINGS_LOCAL/fuzz-venv"
if ! cmp -s test/fuzz/requirements.txt "$fuzz_venv/requirements.txt"; then
  log "installing the API fuzzer (test/fuzz/requirements.txt, PyPI)"
  command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3 python3-venv
  rm -rf "$fuzz_venv"
  python3 -m venv "$fuzz_venv"
  "$fuzz_venv/bin/pip" install -q --disable-pip-version-check -r test/fuzz/requirements.txt
  cp test/fuzz/requirements.txt "$fuzz_venv/requirements.txt"
fi

"$TIDINGS_NODE" "$TIDINGS_ROOT/infra/scripts/build.mjs"
