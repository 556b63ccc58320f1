#!/usr/bin/env bash
# Stops the cluster that start.sh started (fast shutdown: open sessions are ended).
#   infra/postgres/stop.sh [--dir .local/postgres]
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
dir="$TIDINGS_LOCAL/postgres"
[ "${1:-}" = "--dir" ] && dir=$2
data="$dir/data"
[ -f "$data/postmaster.pid" ] || { log "PostgreSQL is not running"; exit 0; }
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
else "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
log "PostgreSQL stopped"
