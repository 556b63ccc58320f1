#!/usr/bin/env bash
# Regenerates infra/image/runtime-packages.txt, the packages the image ships: runs the specs
# that start the real services and the CLI (end-to-end and integration, against a private
# Kafka and PostgreSQL, like npm test) with load-recorder.ts in every Node process, and keeps
# what the service processes loaded. Run it after changing dependencies or telemetry setup.
#
#   bash infra/image/trace-loads.sh        (root: the specs run in a loopback-only netns)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"

# Never installs: node_modules may be shared with other checkouts (setup.sh would npm ci).
[ -x "$TIDINGS_NODE" ] || die "no node_modules here: run npm ci (or infra/scripts/setup.sh) first"
[ "$(id -u)" -eq 0 ] || die "run as root: the specs need their own network namespace"
"$TIDINGS_ROOT/infra/kafka/fetch.sh"
"$TIDINGS_NODE" infra/scripts/build.mjs

# Kept after the run: runtime-packages.js can summarize them again without rerunning the specs.
logs="$TIDINGS_LOCAL/image/load-logs"
rm -rf "$logs" && mkdir -p "$logs"
netns="tidings-trace-$$"
ip netns add "$netns"
trap 'ip netns del "$netns" 2>/dev/null || true' EXIT
ip netns exec "$netns" ip link set lo up

log "running the service specs with the load recorder (network namespace $netns)"
# TIDINGS_IN_TEST_NETNS=1: test.sh skips setup, type check and lint, and runs here.
status=0
NODE_OPTIONS="--require $TIDINGS_ROOT/dist/infra/image/load-recorder.js" TIDINGS_LOAD_LOG="$logs" \
  TIDINGS_IN_TEST_NETNS=1 ip netns exec "$netns" bash infra/scripts/test.sh \
  'dist/test/e2e/**/*.spec.js' 'dist/services/**/*.integration.spec.js' || status=$?

"$TIDINGS_NODE" dist/infra/image/runtime-packages.js --logs "$logs" --out infra/image/runtime-packages.txt
# A failed spec may have skipped a code path: the list is written, but not to be trusted blindly.
[ "$status" -eq 0 ] || die "some specs failed (status $status): rerun before committing the list"
log "wrote infra/image/runtime-packages.txt; review its diff and commit it"
