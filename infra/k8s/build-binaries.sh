#!/usr/bin/env bash
# Builds the one-node cluster's binaries from the Go module proxy into a cache outside the
# repository (CI clones afresh; the cache survives): kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, kubectl and etcd from a small wrapper module, helm and
# CoreDNS with `go install`. Prints the bin directory. A second run with the same versions is
# instant: the directory carries a stamp of them.
#
#   infra/k8s/build-binaries.sh            build what is missing, print the bin dir
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"
source "$here/versions.sh"

cache="${TIDINGS_K8S_CACHE:-$HOME/.cache/tidings/k8s}"
bin="$cache/$K8S_CACHE_STAMP/bin"
if [ -f "$bin/.complete" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || die "Go is needed to build the Kubernetes binaries (go.dev toolchain on PATH)"

work="$cache/$K8S_CACHE_STAMP/src"
rm -rf "$work" "$bin"
mkdir -p "$work/cmd/etcd" "$bin"
export GOFLAGS=-mod=mod GOBIN="$bin" CGO_ENABLED=0
started=$(date +%s)

# k8s.io/kubernetes replaces its staging modules with ./staging paths, which `go install`
# refuses; a wrapper module requires it and points each staging module at its published v0.x.
log "resolving k8s.io/kubernetes $K8S_VERSION"
gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$gomod" ] || die "the Go module proxy did not serve k8s.io/kubernetes@$K8S_VERSION"
staging_version="v0.${K8S_VERSION#v1.}"
{
  echo "module tidings.local/k8s-binaries"
  echo
  echo "go 1.25.0"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*|replace \1 => \1 '"$staging_version"'|p' "$gomod"
} >"$work/go.mod"
[ "$(grep -c '^replace' "$work/go.mod")" -gt 20 ] || die "found too few staging modules in $gomod"

# etcd's own main module replaces its siblings too; its server module's etcdmain is the binary.
cat >"$work/cmd/etcd/main.go" <<'GO'
// etcd, as the etcd server module builds it: the apiserver's storage.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO

# Without these the binaries call themselves v0.0.0, which helm's version checks refuse.
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
version_flags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done
log "building Kubernetes $K8S_VERSION and etcd (a cold build takes several minutes)"
(cd "$work" && go build -trimpath -ldflags "$version_flags" -o "$bin/" \
   k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
   k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
   k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl ./cmd/etcd)

log "building helm $HELM_VERSION and CoreDNS $COREDNS_VERSION"
GOFLAGS= go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
GOFLAGS= go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"

for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd helm coredns; do
  [ -x "$bin/$b" ] || die "$b was not built"
done
rm -rf "$work"
touch "$bin/.complete"
log "built in $(( $(date +%s) - started )) s into $bin"
echo "$bin"
