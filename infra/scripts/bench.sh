#!/usr/bin/env bash
# npm run bench:<name> -- [options]: runs infra/bench/<script>.ts after the usual set-up.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
script=$1; shift
"$TIDINGS_ROOT/infra/scripts/setup.sh"
exec "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/infra/bench/$script.js" "$@"
