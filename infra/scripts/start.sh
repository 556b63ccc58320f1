#!/usr/bin/env bash
# npm start: installs what is missing, builds, and runs the whole platform locally
# (infra/local/up.ts). Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
"$TIDINGS_ROOT/infra/scripts/setup.sh"
exec "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning "$TIDINGS_ROOT/dist/infra/local/up.js"
