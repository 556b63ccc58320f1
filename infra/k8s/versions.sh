# Versions of the one-node cluster's parts, all built from the Go module proxy. Source it.
# etcd is the go.etcd.io/etcd/server/v3 that k8s.io/kubernetes itself requires.
# shellcheck shell=bash
K8S_VERSION=v1.34.12        # k8s.io/kubernetes; its staging modules are published as v0.34.12
HELM_VERSION=v3.22.0        # helm.sh/helm/v3
COREDNS_VERSION=v1.12.4     # github.com/coredns/coredns, run on the node as the cluster DNS
K8S_CACHE_STAMP="k8s-$K8S_VERSION-helm-$HELM_VERSION-coredns-$COREDNS_VERSION-1"
