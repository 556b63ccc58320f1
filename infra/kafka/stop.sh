#!/usr/bin/env bash
# Stops the broker that start.sh started (a controlled shutdown, then SIGKILL after 30 s).
#   infra/kafka/stop.sh [--dir .local/kafka/run]
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
dir="$TIDINGS_LOCAL/kafka/run"
[ "${1:-}" = "--dir" ] && dir=$2
stop_pidfile "$dir/kafka.pid" Kafka 30
