# Starting the cluster's processes, each inside the cluster's network namespace, in the order
# `up` calls them. Sourced by cluster.sh, which sets BIN, DIR, NETNS, NODE, NODE_IP and the
# address ranges.
# shellcheck shell=bash

# ns COMMAND...: runs COMMAND in the cluster's network namespace. nsenter, not `ip netns exec`:
# the latter also remounts /sys, and the kubelet then finds no cgroup mounts.
ns() { nsenter --net="/run/netns/$NETNS" "$@"; }
k() { ns "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }

alive() { [ -f "$DIR/run/$1.pid" ] && pid_running "$(cat "$DIR/run/$1.pid")"; }

# start_daemon NAME COMMAND...: in the background, in a session of its own (a Ctrl-C meant for
# the caller must not reach it), output in logs/NAME.log, pid in run/NAME.pid.
start_daemon() {
  local name=$1
  shift
  if alive "$name"; then log "$name is already running"; return 0; fi
  log "starting $name"
  setsid nsenter --net="/run/netns/$NETNS" "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/run/$name.pid"
}

# wait_until NAME SECONDS COMMAND...: retries COMMAND until it succeeds. Dies with the tail of
# NAME's log when NAME exits or time runs out.
wait_until() {
  local name=$1 deadline=$(( $(date +%s) + $2 ))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail -30 "$DIR/logs/$name.log" >&2; die "$name exited (log: $DIR/logs/$name.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -30 "$DIR/logs/$name.log" >&2; die "$name not ready in time (log: $DIR/logs/$name.log)"
    fi
    sleep 0.3
  done
}

cgroup_mounts() { awk '$3 ~ /^cgroup2?$/ {print $2}' /proc/self/mounts; }

ns_port_open() { ns bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2"; }
# ns_http_ok HOST PORT PATH: a plain HTTP GET inside the namespace answers 200.
ns_http_ok() {
  ns bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "GET %s HTTP/1.0\r\n\r\n" "$2" >&3 && head -1 <&3 | grep -q " 200 "' "$@"
}

start_containerd() {
  mkdir -p "$DIR/containerd" "$DIR/cni/ipam"
  start_daemon containerd containerd --config "$DIR/etc/containerd.toml"
  wait_until containerd 60 ctr --address "$DIR/containerd.sock" version
}

# Plain HTTP on the namespace's loopback: nothing outside the namespace can reach it. A test
# cluster's data is disposable, so etcd skips fsync (the disk is shared with builds).
start_etcd() {
  start_daemon etcd "$BIN/etcd" --name "$NODE" --data-dir "$DIR/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$NODE=http://127.0.0.1:2380" --unsafe-no-fsync --log-level warn
  wait_until etcd 60 ns_port_open 127.0.0.1 2379
}

start_apiserver() {
  local pki=$DIR/pki
  start_daemon kube-apiserver "$BIN/kube-apiserver" \
    --advertise-address "$NODE_IP" --secure-port 6443 \
    --etcd-servers http://127.0.0.1:2379 \
    --client-ca-file "$pki/ca.crt" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true --profiling=false
  wait_until kube-apiserver 120 k get --raw /readyz
}

start_controller_manager() {
  local kc=$DIR/kubeconfigs/controller-manager.kubeconfig
  # The node's podCIDR is the one range the CNI conf hands out: a /24 cut from a /24.
  start_daemon kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
    --allocate-node-cidrs --cluster-cidr "$POD_CIDR" --node-cidr-mask-size "${POD_CIDR#*/}" \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false
}

start_scheduler() {
  local kc=$DIR/kubeconfigs/scheduler.kubeconfig
  start_daemon kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false
}

start_kubelet() {
  make_cgroup_root
  mkdir -p "$DIR/kubelet" "$DIR/pod-logs"
  start_daemon kubelet "$BIN/kubelet" --config "$DIR/etc/kubelet.yaml" \
    --kubeconfig "$DIR/kubeconfigs/kubelet.kubeconfig" --root-dir "$DIR/kubelet" \
    --hostname-override "$NODE" --node-ip "$NODE_IP"
  wait_until kubelet 120 k get node "$NODE"
}

# The kubelet's cgroupRoot must exist in every hierarchy. A new v1 cpuset starts with no CPUs
# and no memory nodes, so it gets its parent's.
make_cgroup_root() {
  local mount
  for mount in $(cgroup_mounts); do
    mkdir -p "$mount$CGROUP_ROOT"
    if [ -f "$mount/cpuset.cpus" ]; then
      [ -n "$(cat "$mount$CGROUP_ROOT/cpuset.cpus")" ] || cat "$mount/cpuset.cpus" >"$mount$CGROUP_ROOT/cpuset.cpus"
      [ -n "$(cat "$mount$CGROUP_ROOT/cpuset.mems")" ] || cat "$mount/cpuset.mems" >"$mount$CGROUP_ROOT/cpuset.mems"
    fi
  done
}

start_kube_proxy() {
  start_daemon kube-proxy "$BIN/kube-proxy" --config "$DIR/etc/kube-proxy.yaml"
  wait_until kube-proxy 60 ns_port_open 127.0.0.1 10256
}

start_coredns() {
  k apply --server-side --force-conflicts -f "$DIR/etc/addons.yaml" >/dev/null
  start_daemon coredns "$BIN/coredns" -conf "$DIR/etc/Corefile"
  wait_until coredns 60 ns_http_ok 127.0.0.1 8181 /ready
}
