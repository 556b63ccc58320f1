# Shared helpers for the infra scripts. Source it; do not run it.
# shellcheck shell=bash

TIDINGS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TIDINGS_LOCAL="${TIDINGS_LOCAL:-$TIDINGS_ROOT/.local}"
export TIDINGS_ROOT TIDINGS_LOCAL

log() { printf '\033[2m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs apt-get as root, or through sudo when we are not root.
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing Debian packages: $*"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# wait_for_port HOST PORT SECONDS: true once something accepts TCP connections there.
wait_for_port() {
  local host=$1 port=$2 deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

# port_in_use PORT [HOST]: something accepts TCP connections there (HOST defaults to loopback).
port_in_use() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# pid_running PID: the process exists and is not a zombie. An exited daemon whose parent is
# gone stays a zombie until PID 1 reaps it, which on this VM takes seconds.
pid_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# stop_pidfile FILE NAME SECONDS: SIGTERM the process (group) in FILE, wait, then SIGKILL.
stop_pidfile() {
  local file=$1 name=$2 grace=${3:-30} pid
  [ -f "$file" ] || { log "$name is not running (no $file)"; return 0; }
  pid=$(cat "$file")
  if pid_running "$pid"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(( $(date +%s) + grace ))
    while pid_running "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    if pid_running "$pid"; then
      log "$name did not stop within ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# The project's Node 24, installed by npm from the `node` package (see package.json).
TIDINGS_NODE="$TIDINGS_ROOT/node_modules/node/bin/node"
export TIDINGS_NODE
export PATH="$TIDINGS_ROOT/node_modules/.bin:$PATH"
