#!/usr/bin/env bash
# Everything the project needs, installed by its own files: npm dependencies (Node 24 among
# them, from the npm registry), the build, the Kafka jars (Maven Central, with Java and Maven
# from Debian where missing), PostgreSQL and Prometheus (Debian, where missing). Idempotent and quick on
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

"$TIDINGS_NODE" "$TIDINGS_ROOT/infra/scripts/build.mjs"
