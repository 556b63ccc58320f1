#!/usr/bin/env bash
# Proves a running cluster (cluster.sh up) does what the test tier relies on, with hardened
# pods (non-root 10001, read-only root, no capabilities, RuntimeDefault seccomp):
#   - a Deployment of the pause image and one of the probe's HTTP server become Available;
#   - another pod resolves the server's Service by name and GETs it (pod -> Service -> pod on
#     the same bridge), and opens each --connect HOST:PORT (Kafka, PostgreSQL on the node IP);
#   - the namespace itself reaches the Service's cluster IP.
# Everything runs in the namespace tidings-smoke, deleted at the end.
#
#   infra/k8s/smoke.sh --dir DIR --netns NAME [--connect HOST:PORT]...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
source "$here/versions.sh"
source "$here/lib/images.sh"
source "$here/lib/components.sh"

DIR="" NETNS="" connect=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --netns) NETNS=$2; shift 2 ;;
    --connect) connect+=("$2"); shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$DIR" ] && [ -n "$NETNS" ] || die "usage: smoke.sh --dir DIR --netns NAME [--connect HOST:PORT]..."
DIR=$(realpath "$DIR")
BIN="${TIDINGS_K8S_CACHE:-$HOME/.cache/tidings/k8s}/$K8S_CACHE_STAMP/bin"
started=$SECONDS

hardened_pod='
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile: { type: RuntimeDefault }'
hardened_container='
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }'

deployment() { # NAME IMAGE ARGS-JSON PORT-BLOCK
  cat <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: $1, namespace: tidings-smoke }
spec:
  replicas: 1
  selector: { matchLabels: { app: $1 } }
  template:
    metadata: { labels: { app: $1 } }
    spec:$hardened_pod
      automountServiceAccountToken: false
      containers:
        - name: main
          image: $2
          imagePullPolicy: Never
          args: $3$hardened_container$4
EOF
}

web_ports='
          ports: [{ containerPort: 8080, name: http }]
          readinessProbe: { httpGet: { path: /, port: http }, periodSeconds: 1 }'

{
  echo "apiVersion: v1"
  echo "kind: Namespace"
  echo "metadata: { name: tidings-smoke }"
  deployment smoke-pause "$PAUSE_IMAGE" "[]" ""
  deployment smoke-web "$PROBE_IMAGE" "[serve, ':8080']" "$web_ports"
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata: { name: smoke-web, namespace: tidings-smoke }
spec:
  selector: { app: smoke-web }
  ports: [{ name: http, port: 80, targetPort: http }]
EOF
} | k apply -f - >/dev/null

log "waiting for the pause and web Deployments"
k -n tidings-smoke wait --for=condition=Available deployment/smoke-pause deployment/smoke-web --timeout=120s >/dev/null

args="[resolve, smoke-web.tidings-smoke.svc.cluster.local, get, 'http://smoke-web/'"
for target in "${connect[@]}"; do args+=", connect, '$target'"; done
args+="]"
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: { name: smoke-client, namespace: tidings-smoke }
spec:
  restartPolicy: Never
  automountServiceAccountToken: false$(echo "$hardened_pod" | sed 's/^    //')
  containers:
    - name: main
      image: $PROBE_IMAGE
      imagePullPolicy: Never
      args: $args$(echo "$hardened_container" | sed 's/^    //')
EOF

phase=""
deadline=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  phase=$(k -n tidings-smoke get pod smoke-client -o jsonpath='{.status.phase}')
  case $phase in Succeeded | Failed) break ;; esac
  sleep 0.5
done
k -n tidings-smoke logs smoke-client 2>&1 | sed 's/^/  client: /' >&2
[ "$phase" = Succeeded ] || die "the client pod ended ${phase:-without finishing}"

cluster_ip=$(k -n tidings-smoke get service smoke-web -o jsonpath='{.spec.clusterIP}')
ns_http_ok "$cluster_ip" 80 / || die "the namespace cannot reach the Service at $cluster_ip:80"
log "the namespace reaches smoke-web at $cluster_ip:80"

k delete namespace tidings-smoke --wait=false >/dev/null
log "smoke test passed in $(( SECONDS - started )) s"
