#!/usr/bin/env bash
# A real one-node Kubernetes cluster inside a network namespace of its own, for test tiers
# and by hand: containerd, etcd, the control plane, kubelet, kube-proxy and CoreDNS as
# processes, all state under DIR. See infra/k8s/README.md.
#
#   infra/k8s/cluster.sh up   --dir DIR --netns NAME --node-ip IP [--fresh]
#   infra/k8s/cluster.sh down --dir DIR --netns NAME
#
# up returns once the node is Ready and a pod has resolved the API's Service name and reached
# it through the Service; it prints the admin kubeconfig's path. --fresh wipes DIR first.
# down stops everything and may be run after a half-failed up, or twice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
source "$here/versions.sh"
source "$here/lib/pki.sh"
source "$here/lib/configs.sh"
source "$here/lib/images.sh"
source "$here/lib/components.sh"
source "$here/lib/teardown.sh"

# Addresses: pods and Services are inside the namespace only, so every cluster can use these.
POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
CNI_BIN_DIR=/usr/lib/cni
K8S_CACHE="${TIDINGS_K8S_CACHE:-$HOME/.cache/tidings/k8s}"

usage() { sed -n '6,7p' "$0" >&2; exit 2; }

command=${1:-}
[ $# -gt 0 ] && shift
DIR="" NETNS="" NODE_IP="" fresh=0
while [ $# -gt 0 ]; do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --netns) NETNS=$2; shift 2 ;;
    --node-ip) NODE_IP=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    *) usage ;;
  esac
done
[ -n "$DIR" ] && [ -n "$NETNS" ] || usage
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, mounts, cgroups)"
[[ $NETNS =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] || die "--netns must be a DNS label (it also names the node)"
DIR=$(realpath -m "$DIR")
[[ $DIR != *[[:space:]]* ]] || die "--dir must not contain white space"
NODE=$NETNS
CGROUP_ROOT=/tidings-$NETNS
BIN="$K8S_CACHE/$K8S_CACHE_STAMP/bin"
export PATH="$BIN:$PATH"

install_prerequisites() {
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x "$CNI_BIN_DIR/bridge" ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v nsenter >/dev/null || missing+=(util-linux)
  command -v ip >/dev/null || missing+=(iproute2)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

# The namespace holds the node address on its own loopback; nothing is added to the host's
# interfaces, and the namespace has no route out, so no packet can leave it.
make_netns() {
  ip netns add "$NETNS"
  ns ip link set lo up
  ns ip addr add "$NODE_IP/32" dev lo
  # Service IPs from the namespace itself (tests, kubectl port checks): kube-proxy's OUTPUT
  # rules rewrite them, but a route must exist first; the node address is the source.
  ns ip route add "$SERVICE_CIDR" dev lo src "$NODE_IP"
  ns sysctl -qw net.ipv4.ip_forward=1
  # pod -> Service -> pod on one bridge: the reply must pass iptables to be un-NATed.
  if ns sh -c 'echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables' 2>/dev/null; then
    MASQUERADE_ALL=false
  else
    log "no br_netfilter in this kernel: kube-proxy masquerades all Service traffic instead"
    MASQUERADE_ALL=true
  fi
}

# The pod up waits for: DNS and Service traffic work from inside a pod.
check_pod() {
  local name=tidings-cluster-check phase="" deadline=$(( $(date +%s) + 120 ))
  k delete pod "$name" --ignore-not-found --wait >/dev/null
  # The default service account appears a moment after the apiserver does.
  until write_check_pod | k apply -f - >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "could not create the check pod"
    sleep 0.5
  done
  while [ "$(date +%s)" -lt "$deadline" ]; do
    phase=$(k get pod "$name" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    case $phase in Succeeded | Failed) break ;; esac
    sleep 0.5
  done
  k logs "$name" 2>&1 | sed 's/^/  check: /' >&2 || true
  [ "$phase" = Succeeded ] || { k describe pod "$name" | tail -20 >&2; die "the check pod ended $phase"; }
  k delete pod "$name" --wait=false >/dev/null
}

DAEMONS="containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy coredns"
all_alive() {
  local name
  for name in $DAEMONS; do alive "$name" || return 1; done
}

up() {
  [ -n "$NODE_IP" ] || usage
  [[ $NODE_IP =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--node-ip must be an IPv4 address"
  if [ -e "/run/netns/$NETNS" ]; then
    if all_alive; then log "cluster already running in $NETNS"; echo "$DIR/kubeconfig"; return 0; fi
    die "network namespace $NETNS exists but the cluster is not whole: run 'cluster.sh down --dir $DIR --netns $NETNS' first"
  fi
  local started=$SECONDS
  install_prerequisites
  BIN=$("$here/build-binaries.sh")
  if [ "$fresh" -eq 1 ]; then rm -rf "$DIR"; fi
  mkdir -p "$DIR/logs" "$DIR/run"
  printf 'NETNS=%s\nNODE_IP=%s\n' "$NETNS" "$NODE_IP" >"$DIR/cluster.env"
  image_archives
  make_pki
  make_netns
  write_configs
  save_host_sysctls

  start_containerd
  import_images
  start_etcd
  start_apiserver
  start_controller_manager
  start_scheduler
  start_kubelet
  start_kube_proxy
  start_coredns
  log "waiting for node $NODE to be Ready"
  k wait --for=condition=Ready "node/$NODE" --timeout=120s >/dev/null \
    || { k describe node "$NODE" | tail -30 >&2; die "node $NODE not Ready"; }
  check_pod
  log "cluster up in $(( SECONDS - started )) s: node $NODE ($NODE_IP) in network namespace $NETNS"
  echo "$DIR/kubeconfig"
}

down() {
  local started=$SECONDS
  teardown
  log "cluster down in $(( SECONDS - started )) s"
}

case $command in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
