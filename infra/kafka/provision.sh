#!/usr/bin/env bash
# Provisions Tidings' topics (partitions, retention) on KAFKA_BROKERS; prints what changed.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
[ -f "$TIDINGS_ROOT/dist/infra/kafka/provision.js" ] || "$TIDINGS_ROOT/infra/scripts/setup.sh" >&2
exec "$TIDINGS_NODE" --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/infra/kafka/provision.js"
