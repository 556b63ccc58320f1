#!/usr/bin/env bash
# npm run tidings -- <command>: the operator CLI (keys create|list|revoke). Output on stdout
# is the result only; build and progress messages go to stderr.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
[ -f "$TIDINGS_ROOT/dist/services/subscriptions/src/cli/tidings-cli.js" ] || "$TIDINGS_ROOT/infra/scripts/setup.sh" >&2
exec "$TIDINGS_NODE" --enable-source-maps "$TIDINGS_ROOT/dist/services/subscriptions/src/cli/tidings-cli.js" "$@"
