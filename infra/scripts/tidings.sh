#!/usr/bin/env bash
# npm run tidings -- <command>: the operator CLI (keys create|list|revoke, projection rebuild).
# Output on stdout is the result only; build and progress messages go to stderr.
# Without DATABASE_URL, it uses the database `npm start` runs, when that one is up.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
[ -f "$TIDINGS_ROOT/dist/services/subscriptions/src/cli/tidings-cli.js" ] || "$TIDINGS_ROOT/infra/scripts/setup.sh" >&2
if [ -z "${DATABASE_URL:-}" ] && [ -f "$TIDINGS_LOCAL/postgres/data/postmaster.pid" ]; then
  export DATABASE_URL="postgres://tidings:tidings@127.0.0.1:5432/tidings"
  log "DATABASE_URL not set: using the local database of npm start"
fi
exec "$TIDINGS_NODE" --enable-source-maps "$TIDINGS_ROOT/dist/services/subscriptions/src/cli/tidings-cli.js" "$@"
