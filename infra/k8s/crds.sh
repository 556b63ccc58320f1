#!/usr/bin/env bash
# Fetches and generates the third-party CRDs that the chart's optional resources need, for a
# Kubernetes test tier, into a cache outside the repository, and prints that directory; it holds
# only CRD YAML, ready for `kubectl apply -f DIR`. A second run with the same versions is
# instant: the directory carries a stamp of them. See infra/k8s/CRDS.md.
#
#   ServiceMonitor, PrometheusRule   copied from the Go module of the Prometheus Operator
#   KafkaTopic                       generated from Strimzi's API classes (Maven Central) by
#                                    Strimzi's own CRD generator; needs Java 21 or later
#
#   infra/k8s/crds.sh            fetch/generate what is missing, print the directory
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/common.sh"

PROMETHEUS_OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator
PROMETHEUS_OPERATOR_VERSION=v0.85.0
STRIMZI_POM="$here/strimzi-crd/pom.xml"
STRIMZI_VERSION=$(sed -n 's:.*<strimzi.version>\(.*\)</strimzi.version>.*:\1:p' "$STRIMZI_POM")
[ -n "$STRIMZI_VERSION" ] || die "no <strimzi.version> in $STRIMZI_POM"
# The last number is this script's own revision: bump it when the output changes for the same versions.
stamp="prometheus-operator-$PROMETHEUS_OPERATOR_VERSION-strimzi-$STRIMZI_VERSION-1"

cache="${TIDINGS_K8S_CACHE:-$HOME/.cache/tidings/k8s}"
out="$cache/crds-$stamp"
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi

command -v go >/dev/null || die "Go is needed to fetch the Prometheus Operator module (go.dev toolchain on PATH)"
command -v mvn >/dev/null || apt_install maven
[ -x "$TIDINGS_NODE" ] || die "no node_modules: run npm ci (or infra/scripts/setup.sh) first"
# The check runs from dist/: setup builds it before the test tier calls this script; run alone,
# this script builds it.
crd_check="$TIDINGS_ROOT/dist/infra/k8s/crd-check.js"
[ -f "$crd_check" ] || "$TIDINGS_NODE" "$TIDINGS_ROOT/infra/scripts/build.mjs" >&2
[ -f "$crd_check" ] || die "the build wrote no $crd_check"

# Strimzi 1.x is built for Java 21; Debian's default java is 17, so look for a newer JDK beside it.
java_home=""
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  if [ -z "$candidate" ] || [ ! -x "$candidate/bin/java" ]; then continue; fi
  spec=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
         sed -n 's/^ *java.specification.version = //p')
  if [ "${spec%%.*}" -ge 21 ] 2>/dev/null; then java_home=$candidate; break; fi
done
[ -n "$java_home" ] || die "Strimzi's CRD generator needs Java 21 or later (none in JAVA_HOME or /usr/lib/jvm)"

# Work beside the final directory and rename it into place at the end, so a failed or concurrent
# run never leaves a half-filled directory behind the stamp.
mkdir -p "$cache"
work=$(mktemp -d "$cache/.crds-$stamp.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/crds"
started=$(date +%s)

# 1. Prometheus Operator: its module carries the CRDs it generates, as plain YAML files.
log "fetching $PROMETHEUS_OPERATOR_MODULE@$PROMETHEUS_OPERATOR_VERSION from the Go module proxy"
dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json \
        "$PROMETHEUS_OPERATOR_MODULE@$PROMETHEUS_OPERATOR_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || true
[ -d "$dir" ] || die "the Go module proxy did not serve $PROMETHEUS_OPERATOR_MODULE@$PROMETHEUS_OPERATOR_VERSION"
for crd in servicemonitors prometheusrules; do
  src="$dir/example/prometheus-operator-crd/monitoring.coreos.com_$crd.yaml"
  [ -f "$src" ] || die "$PROMETHEUS_OPERATOR_VERSION has no $src"
  # The module cache is read-only; give the copies ordinary modes.
  install -m 0644 "$src" "$work/crds/"
done

# 2. Strimzi: Maven resolves the API classes and the generator (the generator's jar is shaded),
# then the generator writes the CRD with the arguments Strimzi's own build passes it.
log "resolving Strimzi $STRIMZI_VERSION (api, crd-generator) from Maven Central"
mvn -q -B -f "$STRIMZI_POM" dependency:build-classpath \
  -Dmdep.outputFile="$work/classpath" >&2
[ -s "$work/classpath" ] || die "Maven resolved no classpath for Strimzi $STRIMZI_VERSION"
log "generating the KafkaTopic CRD with $java_home"
JAVA_HOME="$java_home" "$java_home/bin/java" -cp "$(cat "$work/classpath")" \
  io.strimzi.crdgenerator.CrdGenerator \
  --label app:strimzi --label strimzi.io/crd-install:true \
  --target-kube 1.16+ --crd-api-version v1 \
  --api-versions v1 --storage-version v1 \
  --yaml "io.strimzi.api.kafka.model.topic.KafkaTopic=$work/crds/kafka.strimzi.io_kafkatopics.yaml" >&2

# 3. No API server here: check what decides whether one accepts them, and what the chart needs.
summary=$("$TIDINGS_NODE" "$crd_check" "$work"/crds/*.yaml) || die "the CRDs failed their check (above)"
while read -r line; do log "$line"; done <<<"$summary"

touch "$work/crds/.complete"
[ -f "$out/.complete" ] || rm -rf "$out"
if ! mv -T "$work/crds" "$out" 2>/dev/null; then
  # Another run finished first; its directory is as good as ours.
  [ -f "$out/.complete" ] || die "could not move the CRDs into $out"
fi
log "CRDs ready in $(( $(date +%s) - started )) s: $out"
echo "$out"
