#!/usr/bin/env bash
# npm run bench:trigger -- [--events N] [--fanout 1,4] [--out FILE]: trigger throughput.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
"$TIDINGS_ROOT/infra/scripts/setup.sh"
exec "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/infra/bench/trigger-throughput.js" "$@"
