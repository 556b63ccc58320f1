#!/usr/bin/env bash
# Runs a built image for real, without Docker or Kubernetes: a private containerd (own config,
# root, state and socket under a temp dir) in a loopback-only network namespace, with Kafka and
# PostgreSQL started there too. Imports the archive and runs, as the image's user on a
# read-only root filesystem: the four services (each must answer /health and /metrics), the
# CLI (keys create), one webhook delivered end to end (API → outbox → Kafka → publisher →
# egress → an HTTPS receiver), then SIGTERM to each service, which must exit 0. Removes
# everything it started, whatever happens.
#
#   bash infra/image/smoke-containerd.sh [IMAGE.tar]     (root; default: npm run image's output)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"

version=$("$TIDINGS_NODE" -p 'require("./package.json").version')
archive=$(realpath "${1:-$TIDINGS_LOCAL/image/tidings-$version.tar}")
[ -f "$archive" ] || die "no image archive at $archive: run npm run image first"
[ "$(id -u)" -eq 0 ] || die "run as root (containerd, network namespace)"
for tool in containerd ctr runc ip nsenter curl openssl; do command -v "$tool" >/dev/null || die "$tool is missing"; done
"$TIDINGS_NODE" dist/infra/image/verify.js "$archive" >&2

netns=tidings-img-test
[ -e "/run/netns/$netns" ] && die "network namespace $netns exists (another run, or a leftover: ip netns del $netns)"
work=$(mktemp -d /tmp/tidings-img-XXXXXX)
chmod 755 "$work"   # PostgreSQL runs as its own user below it
sock="$work/containerd.sock"
in_ns() { nsenter --net="/run/netns/$netns" "$@"; }
ctr_() { ctr --address "$sock" -n k8s.io "$@"; }
declare -A runs=()   # service name → pid of its `ctr run`
containerd_pid="" receiver_pid=""

cleanup() {
  local status=$? name
  set +e
  for name in "${!runs[@]}"; do ctr_ tasks kill -s SIGKILL "tidings-$name" >/dev/null 2>&1; done
  for name in "${!runs[@]}"; do wait "${runs[$name]}" 2>/dev/null; ctr_ containers rm "tidings-$name" >/dev/null 2>&1; done
  [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null
  "$TIDINGS_ROOT/infra/kafka/stop.sh" --dir "$work/kafka" >/dev/null 2>&1
  "$TIDINGS_ROOT/infra/postgres/stop.sh" --dir "$work/postgres" >/dev/null 2>&1
  if [ -n "$containerd_pid" ]; then kill "$containerd_pid" 2>/dev/null; wait "$containerd_pid" 2>/dev/null; fi
  kill -0 "$containerd_pid" 2>/dev/null && log "warning: containerd (pid $containerd_pid) is still running"
  # Snapshot and rootfs mounts left by containerd, deepest first.
  grep -o " $work[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  ip netns del "$netns" 2>/dev/null
  if [ "$status" -ne 0 ]; then
    log "failed; the logs:"
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -40 "$f" >&2; }; done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$netns"
in_ns ip link set lo up

log "starting a private containerd in network namespace $netns"
cat > "$work/containerd.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$sock"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  # This VM withholds CAP_SYS_RESOURCE: no raising OOM scores.
  restrict_oom_score_adj = true
EOF
# nsenter itself, not the in_ns function, so that $! is the process that becomes containerd.
nsenter --net="/run/netns/$netns" containerd --config "$work/containerd.toml" > "$work/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 1 50); do ctr --address "$sock" version >/dev/null 2>&1 && break; sleep 0.2; done
ctr --address "$sock" version >/dev/null || die "containerd did not start"

log "starting Kafka and PostgreSQL in the namespace"
in_ns "$TIDINGS_ROOT/infra/kafka/start.sh" --port 9092 --controller-port 9093 --dir "$work/kafka" --fresh >/dev/null
database_url=$(in_ns "$TIDINGS_ROOT/infra/postgres/start.sh" --port 5432 --dir "$work/postgres" --fresh | tail -1)

log "importing $archive"
ctr_ images import "$archive" >&2
image=$(tar -xOf "$archive" index.json | "$TIDINGS_NODE" -p 'JSON.parse(require("fs").readFileSync(0)).manifests[0].annotations["io.containerd.image.name"]')
config_blob=$(tar -xOf "$archive" manifest.json | "$TIDINGS_NODE" -p 'JSON.parse(require("fs").readFileSync(0))[0].Config')
# ctr's arguments replace the image's command line: start them with its entrypoint, as Kubernetes' args do.
mapfile -t entrypoint < <(tar -xOf "$archive" "$config_blob" | "$TIDINGS_NODE" -e 'for (const a of JSON.parse(require("fs").readFileSync(0)).config.Entrypoint) console.log(a)')
log "image $image, entrypoint: ${entrypoint[*]}"

# A receiver for the delivered webhook (HTTPS on loopback, a certificate made here) and for the
# services' spans (OTLP/HTTP on 4318): the export path is what the OpenTelemetry pruning risks.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/receiver.key" -out "$work/receiver.pem" 2>/dev/null
chmod 644 "$work/receiver.key" "$work/receiver.pem"
nsenter --net="/run/netns/$netns" "$TIDINGS_NODE" -e '
  const [key, cert, log, otlp] = process.argv.slice(1).map((p, i) => i < 2 ? require("fs").readFileSync(p) : p);
  const recorder = (file) => (req, res) => {
    let body = ""; req.on("data", (c) => body += c);
    req.on("end", () => { require("fs").appendFileSync(file, JSON.stringify({ url: req.url, headers: req.headers, body }) + "\n"); res.end(file === otlp ? "{}" : "ok"); });
  };
  require("https").createServer({ key, cert }, recorder(log)).listen(8443, "127.0.0.1");
  require("http").createServer(recorder(otlp)).listen(4318, "127.0.0.1");' \
  "$work/receiver.key" "$work/receiver.pem" "$work/receiver.jsonl" "$work/otlp.jsonl" > "$work/receiver.log" 2>&1 &
receiver_pid=$!

keys="k1:$(openssl rand -base64 32)"
common=(--env "KAFKA_BROKERS=localhost:9092" --env "RETRY_SCHEDULE=10s*2" --env "LOG_LEVEL=info"
  --env "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318")
declare -A env_of=(
  [subscriptions]="DATABASE_URL=$database_url SECRETS_ENCRYPTION_KEYS=$keys EGRESS_ALLOW_CIDRS=127.0.0.1/32"
  [trigger]="TRIGGER_INSTANCE_ID=trigger-0"
  [publisher]="DATABASE_URL=$database_url SECRETS_ENCRYPTION_KEYS=$keys EGRESS_PROXY_URL=http://127.0.0.1:9090"
  [egress]="EGRESS_ALLOW_CIDRS=127.0.0.1/32 EGRESS_ALLOWED_PORTS=8443 EGRESS_EXTRA_CA_FILE=/certs/receiver.pem"
)
declare -A port_of=([subscriptions]=8080 [trigger]=8081 [publisher]=8082 [egress]=9091)

start_service() {
  local name=$1 envs=() pair
  for pair in ${env_of[$name]}; do envs+=(--env "$pair"); done
  # --read-only with no writable mount: the root filesystem, /tmp included, is read-only, as in the chart.
  ctr_ run --rm --net-host --read-only "${common[@]}" "${envs[@]}" \
    --mount "type=bind,src=$work,dst=/certs,options=rbind:ro" \
    "$image" "tidings-$name" "${entrypoint[@]}" "dist/services/$name/src/main.js" > "$work/$name.log" 2>&1 &
  runs[$name]=$!
}

wait_healthy() {
  local name=$1 url="http://127.0.0.1:${port_of[$1]}/health"
  for _ in $(seq 1 300); do
    in_ns curl -sf --max-time 2 "$url" >/dev/null 2>&1 && return 0
    kill -0 "${runs[$name]}" 2>/dev/null || die "$name exited before answering $url"
    sleep 0.3
  done
  die "$name did not answer $url within 90 s"
}

for name in subscriptions trigger publisher egress; do
  start_service "$name"
  wait_healthy "$name"
  metrics=$(in_ns curl -sf --max-time 5 "http://127.0.0.1:${port_of[$name]}/metrics")
  grep -q '^# TYPE ' <<< "$metrics" || die "$name: /metrics has no metrics"
  log "$name: /health 200, /metrics $(grep -c '^# TYPE ' <<< "$metrics") metric families"
done

run_once() {   # run_once ID ARGS...: a one-off container; prints its stdout
  local id=$1; shift
  ctr_ run --rm --net-host --read-only --env "DATABASE_URL=$database_url" "$image" "$id" "${entrypoint[@]}" "$@" 2> "$work/$id.log"
}
facts=$(run_once tidings-facts -e '
  const fs = require("fs"); let tmp = "writable";
  try { fs.writeFileSync("/tmp/x", "x"); } catch (e) { tmp = e.code; }
  console.log(`uid=${process.getuid()} gid=${process.getgid()} cwd=${process.cwd()} node=${process.version} NODE_ENV=${process.env.NODE_ENV} /tmp=${tmp} shell=${fs.existsSync("/bin/sh")}`);')
log "inside the image: $facts"
[[ $facts == "uid=10001 gid=10001 cwd=/app node=v24."* ]] || die "unexpected user, directory or Node: $facts"

key=$(run_once tidings-cli dist/services/subscriptions/src/cli/tidings-cli.js keys create --tailnet example.com --login a@b.c)
[[ $key == tskey-api-* ]] || die "the CLI printed no key: $key"
log "CLI: keys create printed ${key:0:16}…"

api() { in_ns curl -sf --max-time 10 -H "Authorization: Bearer $key" -H 'content-type: application/json' "$@"; }
created=$(api -X POST http://127.0.0.1:8080/api/v2/tailnet/example.com/webhooks \
  -d '{"endpointUrl":"https://127.0.0.1:8443/hook","subscriptions":["categoryTailnetManagement"]}')
endpoint=$("$TIDINGS_NODE" -p 'JSON.parse(process.argv[1]).endpointId' "$created")
api -X POST "http://127.0.0.1:8080/api/v2/webhooks/$endpoint/test" >/dev/null
for _ in $(seq 1 150); do [ -s "$work/receiver.jsonl" ] && break; sleep 0.2; done
[ -s "$work/receiver.jsonl" ] || die "no webhook reached the receiver within 30 s"
log "delivered: $(head -1 "$work/receiver.jsonl" | "$TIDINGS_NODE" -p 'const r = JSON.parse(require("fs").readFileSync(0)); `POST ${r.url}, ${r.body.length} bytes, user-agent ${r.headers["user-agent"]}`')"

for name in trigger publisher subscriptions egress; do
  ctr_ tasks kill -s SIGTERM "tidings-$name"
  status=0
  wait "${runs[$name]}" || status=$?
  unset "runs[$name]"
  [ "$status" -eq 0 ] || die "$name exited with status $status after SIGTERM"
  log "$name: SIGTERM → exit 0"
done
# Spans are flushed at shutdown at the latest; the delivery's path must have exported its own.
for service in subscriptions publisher egress; do
  grep -q "tidings-$service" "$work/otlp.jsonl" 2>/dev/null || die "no spans of $service reached the OTLP receiver"
done
log "OTLP: $(grep -c '/v1/traces' "$work/otlp.jsonl") exports to /v1/traces, from$(for s in subscriptions trigger publisher egress; do grep -q "tidings-$s" "$work/otlp.jsonl" && printf ' %s' "$s"; done)"
log "image $image passed: services healthy, CLI, delivery, spans exported, clean shutdown"
