#!/usr/bin/env bash
# Starts a single-node KRaft broker (broker + controller in one JVM) in the background
# and returns once it accepts Kafka requests.
#
#   infra/kafka/start.sh [--port 9092] [--controller-port 9093] [--dir .local/kafka/run] [--fresh]
#                        [--host IP]
#
# --fresh wipes the data directory first (tests use it; the local stack keeps its data).
# --host listens and advertises on IP instead of localhost: pods of the one-node cluster
# (infra/k8s) reach a broker started in its namespace at the node address. The controller
# stays on localhost.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

port=9092 controller_port=9093 dir="$TIDINGS_LOCAL/kafka/run" fresh=0 host=localhost
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --controller-port) controller_port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --host) host=$2; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done

"$TIDINGS_ROOT/infra/kafka/fetch.sh"
libs="$TIDINGS_LOCAL/kafka/libs"
pidfile="$dir/kafka.pid"
probe_host=$host
[ "$host" = localhost ] && probe_host=127.0.0.1

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  log "Kafka already running on $host:$port (pid $(cat "$pidfile"))"
  echo already-running   # callers that did not start it must not stop it
  exit 0
fi
port_in_use "$port" "$probe_host" && die "port $port is taken by another process; stop it or pass --port"

[ "$fresh" -eq 1 ] && rm -rf "$dir"
mkdir -p "$dir/data"

sed -e "s#@HOST@#$host#g" -e "s#@PORT@#$port#g" -e "s#@CONTROLLER_PORT@#$controller_port#g" -e "s#@DATA@#$dir/data#g" \
  "$TIDINGS_ROOT/infra/kafka/server.properties" > "$dir/server.properties"

java_opts=(-Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$TIDINGS_ROOT/infra/kafka/log4j2.properties" "-Dkafka.logs.dir=$dir")

if [ ! -f "$dir/data/meta.properties" ]; then
  java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
    --cluster-id "$(cat "$TIDINGS_ROOT/infra/kafka/cluster-id")" --config "$dir/server.properties" >"$dir/format.log" 2>&1 \
    || { cat "$dir/format.log" >&2; die "formatting the KRaft log directory failed"; }
fi

# setsid: the broker gets its own process group, so a Ctrl-C meant for the caller does not
# reach it half-way; whoever started it stops it with stop.sh.
setsid java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" >"$dir/server.out" 2>&1 < /dev/null &
echo $! > "$pidfile"

deadline=$(( $(date +%s) + 90 ))
until grep -q "Kafka Server started" "$dir/server.out" 2>/dev/null; do
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    tail -40 "$dir/server.out" >&2; rm -f "$pidfile"; die "Kafka exited during start-up"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { tail -40 "$dir/server.out" >&2; die "Kafka not ready after 90s"; }
  sleep 0.3
done
wait_for_port "$probe_host" "$port" 10 || die "Kafka started but $host:$port does not accept connections"
log "Kafka ready on $host:$port (pid $(cat "$pidfile"), data in $dir)"
