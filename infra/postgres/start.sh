#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for Tidings and prints its DATABASE_URL on stdout.
# Installs Debian's PostgreSQL first where the machine has none.
#
#   infra/postgres/start.sh [--port 5432] [--dir .local/postgres] [--fresh]
#                           [--listen IP] [--allow CIDR]...
#
# --listen also accepts TCP on IP (loopback always) and prints the URL with IP; --allow admits
# password logins from CIDR (repeatable; IP itself is always admitted). Pods of the one-node
# cluster (infra/k8s) reach a server started in its namespace at the node address, from the
# pod range.
#
# Only for local runs and tests: with DATABASE_URL set, the callers skip this script.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

port=5432 dir="$TIDINGS_LOCAL/postgres" fresh=0 listen="" allow=()
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --listen) listen=$2; shift 2 ;;
    --allow) allow+=("$2"); shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$found" ] && echo "$found"
}
bin=$(pg_bin || true)
if [ -z "$bin" ]; then
  apt_install postgresql
  bin=$(pg_bin) || die "PostgreSQL installed but no /usr/lib/postgresql/*/bin found"
fi

# initdb and postgres refuse to run as root: run them as the postgres user the package created.
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

data="$dir/data"
url="postgres://tidings:tidings@${listen:-127.0.0.1}:$port/tidings"

if [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  log "PostgreSQL already running ($data)"
  echo already-running   # callers that did not start it must not stop it
  echo "$url"; exit 0
fi
port_in_use "$port" && die "port $port is taken by another process; stop it or pass --port"

[ "$fresh" -eq 1 ] && rm -rf "$dir"
mkdir -p "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"

if [ ! -f "$data/PG_VERSION" ]; then
  pwfile=$(mktemp); echo tidings > "$pwfile"; chmod 644 "$pwfile"
  as_owner "$bin/initdb" -D "$data" -U tidings --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
fi

# The --allow lines are rewritten at every start, marked so that only they are replaced.
[ -n "$listen" ] && allow+=("$listen/32")
hba="$data/pg_hba.conf"
{
  grep -v ' # tidings --allow$' "$hba" || true
  for cidr in "${allow[@]}"; do echo "host all all $cidr scram-sha-256 # tidings --allow"; done
} >"$hba.new"
cat "$hba.new" >"$hba" && rm -f "$hba.new"   # in place: the file stays the postgres user's

# Sockets in the data dir, TCP on loopback (and --listen) only. fsync stays on: we test crash safety.
as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1${listen:+,$listen} -c max_connections=200" start >/dev/null \
  || { tail -20 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }

if ! PGPASSWORD=tidings "$bin/psql" -h 127.0.0.1 -p "$port" -U tidings -d postgres -tAc \
    "select 1 from pg_database where datname='tidings'" | grep -q 1; then
  PGPASSWORD=tidings "$bin/createdb" -h 127.0.0.1 -p "$port" -U tidings tidings
fi
log "PostgreSQL ready on 127.0.0.1${listen:+ and $listen}:$port"
echo "$url"
