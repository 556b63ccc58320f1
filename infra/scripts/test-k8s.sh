#!/usr/bin/env bash
# npm run test:k8s: the Kubernetes tier. Builds the image with this repository's own script,
# builds (once, cached under ~/.cache/tidings) the Kubernetes binaries, helm and CoreDNS from
# the Go module proxy, starts a one-node cluster inside a network namespace of its own
# (cluster.sh installs containerd, runc and the CNI plugins from Debian where missing), with
# Kafka and PostgreSQL on the node's address, imports the image, and runs test/k8s/*.spec.ts
# inside that namespace: the chart rendered, validated by the API server and installed for
# real, a webhook delivered from inside the cluster, an upgrade and an uninstall. Whatever
# happens, it stops everything it started.
#
#   npm run test:k8s                     everything
#   npm run test:k8s -- <glob>...        only these spec files (paths under dist/)
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"

[ "$(id -u)" -eq 0 ] || die "the Kubernetes tier needs root (network namespaces, containerd, kubelet)"
[ "${TIDINGS_SETUP_DONE:-}" = 1 ] || "$TIDINGS_ROOT/infra/scripts/setup.sh"

started=$(date +%s)
bin=$("$TIDINGS_ROOT/infra/k8s/build-binaries.sh" | tail -1)
crds=$("$TIDINGS_ROOT/infra/k8s/crds.sh" | tail -1)
image="tidings/tidings:$("$TIDINGS_NODE" -p 'require("./package.json").version')"
image_archive=$("$TIDINGS_ROOT/infra/image/build.sh" --tag "$image" | tail -1)
log "prerequisites ready in $(( $(date +%s) - started )) s (binaries $bin, image $image)"

node_ip=${TIDINGS_K8S_NODE_IP:-198.18.0.10}   # benchmarking range: never routed anywhere
netns="tidings-k8s-$$"
dir="$TIDINGS_LOCAL/k8s/run-$$"
mkdir -p "$dir"
in_ns() { nsenter --net="/run/netns/$netns" "$@"; }

cleanup() {
  local status=$?
  log "stopping the cluster, Kafka and PostgreSQL"
  [ -d "$dir/kafka" ] && { in_ns "$TIDINGS_ROOT/infra/kafka/stop.sh" --dir "$dir/kafka" || true; }
  [ -d "$dir/postgres" ] && { in_ns "$TIDINGS_ROOT/infra/postgres/stop.sh" --dir "$dir/postgres" || true; }
  PATH="$bin:$PATH" "$TIDINGS_ROOT/infra/k8s/cluster.sh" down --dir "$dir/cluster" --netns "$netns" || true
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cluster_started=$(date +%s)
PATH="$bin:$PATH" "$TIDINGS_ROOT/infra/k8s/cluster.sh" up --dir "$dir/cluster" --netns "$netns" --node-ip "$node_ip" >/dev/null
log "cluster up in $(( $(date +%s) - cluster_started )) s"

in_ns "$TIDINGS_ROOT/infra/kafka/start.sh" --host "$node_ip" --port 9092 --controller-port 9093 --dir "$dir/kafka" --fresh >/dev/null
database_url=$(in_ns "$TIDINGS_ROOT/infra/postgres/start.sh" --listen "$node_ip" --allow 10.244.0.0/24 --port 5432 --dir "$dir/postgres" --fresh | tail -1)
in_ns ctr --address "$dir/cluster/containerd.sock" -n k8s.io images import "$image_archive" >/dev/null
log "image $image imported"

if [ $# -gt 0 ]; then specs=("$@"); else specs=('dist/test/k8s/**/*.spec.js'); fi
# One spec file at a time: they share the node's two cores and its Kafka. No --test-force-exit
# and a time limit instead, as in test.sh (force-exit drops tests without counting them).
in_ns env \
  TIDINGS_K8S_BIN="$bin" TIDINGS_HELM="$bin/helm" TIDINGS_KUBECONFIG="$dir/cluster/kubeconfig" \
  TIDINGS_K8S_NODE_IP="$node_ip" TIDINGS_K8S_CRDS="$crds" TIDINGS_IMAGE="$image" \
  TIDINGS_K8S_KAFKA_BROKERS="$node_ip:9092" TIDINGS_K8S_DATABASE_URL="${database_url/127.0.0.1/$node_ip}" \
  timeout --kill-after=30s 45m "$TIDINGS_NODE" --enable-source-maps --disable-warning=TimeoutNegativeWarning \
  --test --test-concurrency=1 --test-timeout=1200000 --test-reporter=spec "${specs[@]}"
log "Kubernetes tier passed in $(( $(date +%s) - started )) s"
