# Configuration files of the cluster's processes, all under $DIR/etc, rewritten at every `up`
# (cheap, and a changed script takes effect). Sourced by cluster.sh, which sets the variables.
# shellcheck shell=bash

write_configs() {
  mkdir -p "$DIR/etc/cni" "$DIR/dns"
  write_containerd_config
  write_cni_config
  write_kubelet_config
  write_kube_proxy_config
  write_dns_config
  write_addons
}

# Root, state, socket and runc's state all under DIR, so clusters in different namespaces
# share nothing; pod network namespaces are mounted under the state dir, not /run/netns.
write_containerd_config() {
  cat >"$DIR/etc/containerd.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$DIR/containerd.sock"
[ttrpc]
  address = "$DIR/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The VM withholds CAP_SYS_RESOURCE: no container may get a lower oom_score_adj than ours.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$DIR/containerd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$DIR/etc/cni"
    max_conf_num = 1
EOF
}

# One bridge for the node's pods, addresses from host-local with its state under DIR.
# containerd adds the loopback plugin to every pod itself (its built-in lo network).
write_cni_config() {
  cat >"$DIR/etc/cni/10-tidings.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "tidings",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$DIR/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

write_kubelet_config() {
  # Pods with dnsPolicy Default read this: our DNS too, never the host's resolvers.
  echo "nameserver $NODE_IP" >"$DIR/etc/resolv.conf"
  cat >"$DIR/etc/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $DIR/pki/ca.crt }
authorization: { mode: Webhook }
tlsCertFile: $DIR/pki/kubelet-serving.crt
tlsPrivateKeyFile: $DIR/pki/kubelet-serving.key
containerRuntimeEndpoint: unix://$DIR/containerd.sock
# This host is cgroup v1 (hybrid); pods go under a root of their own per cluster.
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failCgroupV1: false
failSwapOn: false
clusterDNS: [$NODE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $DIR/etc/resolv.conf
podLogsDir: $DIR/pod-logs
volumePluginDir: $DIR/kubelet/volume-plugins
# Images are preloaded (no registry): never collect them; the disk is shared, so evict late.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1% }
serializeImagePulls: false
shutdownGracePeriod: 0s
# The default -999 needs CAP_SYS_RESOURCE, which the VM withholds.
oomScoreAdj: 0
EOF
}

write_kube_proxy_config() {
  cat >"$DIR/etc/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $DIR/kubeconfigs/kube-proxy.kubeconfig }
hostnameOverride: $NODE
mode: iptables
clusterCIDR: $POD_CIDR
# Without br_netfilter, pod -> Service -> pod on one bridge needs every Service hop SNATed.
masqueradeAll: $MASQUERADE_ALL
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [primary]
# conntrack sysctls are the host's business (0 = leave as they are); so is our OOM score.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
oomScoreAdj: 0
EOF
}

# CoreDNS serves the cluster's zone from the API and, for every other name, only what
# $DIR/dns/hosts lists (re-read every second): nothing is forwarded anywhere.
write_dns_config() {
  [ -f "$DIR/dns/hosts" ] || echo "# address name... (served by the cluster DNS; re-read every second)" >"$DIR/dns/hosts"
  cat >"$DIR/etc/Corefile" <<EOF
$CLUSTER_DOMAIN:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_IP
    errors
    ready 127.0.0.1:8181
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $DIR/kubeconfigs/coredns.kubeconfig
        pods insecure
        ttl 5
    }
    cache 5
}
.:53 {
    bind $NODE_IP
    errors
    hosts $DIR/dns/hosts {
        reload 1s
    }
}
EOF
}

# Applied once the apiserver is up: what CoreDNS may read, and a kube-dns Service (the name
# tools look for) whose one endpoint is CoreDNS on the node address.
write_addons() {
  cat >"$DIR/etc/addons.yaml" <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "tidings:coredns" }
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "tidings:coredns" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "tidings:coredns" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns" }]
---
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: $DNS_SERVICE_IP
  ports:
    - { name: dns, port: 53, protocol: UDP }
    - { name: dns-tcp, port: 53, protocol: TCP }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels: { kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: tidings.local-cluster-sh }
addressType: IPv4
endpoints: [{ addresses: ["$NODE_IP"], conditions: { ready: true } }]
ports:
  - { name: dns, port: 53, protocol: UDP }
  - { name: dns-tcp, port: 53, protocol: TCP }
EOF
}

# The pod `up` waits for: resolves the API's Service name and fetches its /readyz through
# the Service, trusting the CA from its service-account volume. Hardened as app pods are.
write_check_pod() {
  cat <<EOF
apiVersion: v1
kind: Pod
metadata: { name: tidings-cluster-check, namespace: default }
spec:
  restartPolicy: Never
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    seccompProfile: { type: RuntimeDefault }
  containers:
    - name: check
      image: $PROBE_IMAGE
      imagePullPolicy: Never
      args: [resolve, kubernetes.default.svc.$CLUSTER_DOMAIN,
             --ca, /var/run/secrets/kubernetes.io/serviceaccount/ca.crt,
             get, "https://kubernetes.default.svc/readyz"]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: { drop: [ALL] }
EOF
}
