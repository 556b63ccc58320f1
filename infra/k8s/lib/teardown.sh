# `down`: stops the cluster and leaves nothing behind. Every step tolerates what is already
# gone, so down is safe after a half-failed up, and twice. Sourced by cluster.sh (after
# components.sh, whose ns, k and alive it uses).
# shellcheck shell=bash

teardown() {
  local name
  stop_pods
  for name in coredns kube-proxy kubelet; do stop_daemon "$name"; done
  kill_tasks
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do stop_daemon "$name"; done
  kill_leftovers
  unmount_under_dir
  remove_cgroup_root
  if [ -e "/run/netns/$NETNS" ]; then ip netns delete "$NETNS"; log "deleted network namespace $NETNS"; fi
  restore_host_sysctls
  # Volatile state: a later up starts from the images, certificates and etcd data alone.
  rm -rf "$DIR/containerd/state" "$DIR/containerd/runc" "$DIR/cni/ipam" "$DIR"/containerd.sock*
}

stop_daemon() { [ ! -f "$DIR/run/$1.pid" ] || stop_pidfile "$DIR/run/$1.pid" "$1" 30; }

# The kubelet stops pods properly (SIGTERM, grace, CNI teardown, unmounts), so it is asked
# first, through the API, with the controllers stopped so that nothing is recreated.
stop_pods() {
  alive kube-apiserver && alive kubelet || return 0
  stop_daemon kube-controller-manager
  stop_daemon kube-scheduler
  log "deleting every pod (grace period 5 s)"
  k delete pods --all --all-namespaces --grace-period=5 --timeout=60s --wait >/dev/null 2>&1 \
    || log "pods did not all stop through the kubelet; killing what is left"
}

# What the kubelet did not stop: kill the tasks through containerd, so its shims exit.
kill_tasks() {
  alive containerd || return 0
  local c="ctr --address $DIR/containerd.sock -n k8s.io" id ids
  ids=$($c tasks ls -q 2>/dev/null || true)
  [ -n "$ids" ] || return 0
  log "killing $(echo "$ids" | wc -l) leftover containers"
  for id in $ids; do $c tasks kill --all --signal SIGKILL "$id" >/dev/null 2>&1 || true; done
  sleep 1
  for id in $ids; do $c tasks delete --force "$id" >/dev/null 2>&1 || true; done
}

# The parent's pid, read after the command name's closing parenthesis: a name may hold
# spaces (the test runner's Node calls its thread "node MainThread"), which shifts awk's fields.
parent_of() {
  local stat ppid
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 1; return; }
  stat=${stat##*) }
  read -r _ ppid _ <<<"$stat"
  echo "${ppid:-1}"
}

# Last resort, so that nothing keeps running: processes in the pods' cgroups, this
# containerd's shims, and anything else still inside the namespace (not us or our callers).
kill_leftovers() {
  local pids="" ours=" " p=$$ mount netns_inode="" cmdline
  while [ "$p" -gt 1 ]; do ours+="$p "; p=$(parent_of "$p"); done
  [ -e "/run/netns/$NETNS" ] && netns_inode=$(stat -L -c %i "/run/netns/$NETNS")
  for mount in $(cgroup_mounts); do
    [ -d "$mount$CGROUP_ROOT" ] && pids+=" $(find "$mount$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')"
  done
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    case $ours in *" $p "*) continue ;; esac
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" || true)
    if [[ $cmdline == *containerd-shim*" -address $DIR/containerd.sock "* ]] \
      || { [ -n "$netns_inode" ] && [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "net:[$netns_inode]" ]; }; then
      pids+=" $p"
    fi
  done
  pids=$(echo "$pids" | tr ' ' '\n' | { grep -E '^[0-9]+$' || true; } | sort -u | tr '\n' ' ')
  [ -n "${pids// /}" ] || return 0
  for p in $pids; do log "left running: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-100)"; done
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  sleep 2
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.5
}

# containerd's rootfs and shm mounts, the pods' network namespaces, the kubelet's volumes:
# deepest first, lazily when a mount is still busy.
unmount_under_dir() {
  local pass mounts m
  for pass in 1 2 3; do
    mounts=$(awk -v d="$DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    [ -n "$mounts" ] || return 0
    [ "$pass" -eq 1 ] && log "unmounting $(echo "$mounts" | wc -l) mounts under $DIR"
    for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  awk -v d="$DIR/" 'index($5, d) == 1 {print "still mounted: " $5}' /proc/self/mountinfo >&2
}

remove_cgroup_root() {
  local mount
  for mount in $(cgroup_mounts); do
    [ -d "$mount$CGROUP_ROOT" ] || continue
    find "$mount$CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null \
      || log "could not remove $mount$CGROUP_ROOT (processes left in it?)"
  done
}

# The kubelet sets these host-wide kernel settings at start (it has no "leave them" mode).
# The first cluster up on the host records them, the last one down puts them back: clusters
# in other namespaces may be running. Kept in /run, which a reboot resets along with them.
HOST_SYSCTLS="vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes"
HOST_STATE=/run/tidings-k8s

save_host_sysctls() {
  mkdir -p "$HOST_STATE"
  (
    flock 9
    local key
    if [ ! -f "$HOST_STATE/sysctls" ]; then
      for key in $HOST_SYSCTLS; do echo "$key $(cat "/proc/sys/$key")"; done >"$HOST_STATE/sysctls"
    fi
    grep -qx "$NETNS" "$HOST_STATE/clusters" 2>/dev/null || echo "$NETNS" >>"$HOST_STATE/clusters"
  ) 9>"$HOST_STATE/lock"
}

restore_host_sysctls() {
  [ -f "$HOST_STATE/clusters" ] || return 0
  (
    flock 9
    local key value
    grep -vx "$NETNS" "$HOST_STATE/clusters" >"$HOST_STATE/clusters.new" || true
    mv "$HOST_STATE/clusters.new" "$HOST_STATE/clusters"
    [ -s "$HOST_STATE/clusters" ] && exit 0
    if [ -f "$HOST_STATE/sysctls" ]; then
      while read -r key value; do
        [ "$(cat "/proc/sys/$key")" = "$value" ] || echo "$value" >"/proc/sys/$key"
      done <"$HOST_STATE/sysctls"
      log "restored the kernel settings the kubelet changed"
    fi
    rm -f "$HOST_STATE/sysctls" "$HOST_STATE/clusters"
  ) 9>"$HOST_STATE/lock"
}
