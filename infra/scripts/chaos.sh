#!/usr/bin/env bash
# npm run chaos -- [--minutes 5] [--seed S] [--rate 20] [--out FILE]: the whole platform
# under load while faults follow a seeded schedule (test/chaos/run-chaos.ts), with its own
# Kafka and PostgreSQL in .local/chaos. As root it runs in a network namespace of its own that
# has only loopback (as npm test does), where it may also add loopback latency with tc.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"

if [ "${TIDINGS_IN_TEST_NETNS:-}" != 1 ]; then
  [ "${TIDINGS_SETUP_DONE:-}" = 1 ] || "$TIDINGS_ROOT/infra/scripts/setup.sh"
  command -v tc >/dev/null || apt_install iproute2
  if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
    netns="tidings-chaos-$$"
    ip netns add "$netns"
    trap 'ip netns del "$netns" 2>/dev/null || true' EXIT
    ip netns exec "$netns" ip link set lo up
    TIDINGS_IN_TEST_NETNS=1 ip netns exec "$netns" "$0" "$@"
    exit 0
  fi
  log "not root: running in this network namespace, without added latency"
fi
exec "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/test/chaos/run-chaos.js" "$@"
