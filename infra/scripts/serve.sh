#!/usr/bin/env bash
# npm run serve -- <subscriptions|trigger|publisher|egress|relay>
# Runs one service alone, configured only by its environment: the container's entrypoint.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
service=${1:-}
case "$service" in
  subscriptions|trigger|publisher|egress|relay) ;;
  *) die "usage: npm run serve -- <subscriptions|trigger|publisher|egress|relay>" ;;
esac
[ -f "$TIDINGS_ROOT/dist/services/$service/src/main.js" ] || "$TIDINGS_ROOT/infra/scripts/setup.sh"
exec "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/services/$service/src/main.js"
