#!/usr/bin/env bash
# Writes the pod sandbox ("pause") image as an OCI image archive that
# `ctr -n k8s.io images import` accepts: no registry is reachable, so the cluster brings its own.
# With --binary it packages any other static binary the same way (the cluster's probe image).
#
#   infra/k8s/pause-image.sh --out FILE [--binary BIN --name REF --user UID:GID]
#
# The image is one layer holding one file, /<name of BIN>, which is also the entrypoint,
# written by infra/image/oci-archive.ts: the same binary gives the same digests.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

out="" binary="" name="tidings.local/pause:1" user="65535:65535"
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$out" ] || die "--out FILE is required"
[ -x "$TIDINGS_NODE" ] || die "no node_modules: run infra/scripts/setup.sh (npm ci) first"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p -m 0755 "$work/rootfs"

if [ -z "$binary" ]; then
  # A static link needs libc.a (libc6-dev), which a machine with gcc may still lack.
  command -v gcc >/dev/null && [ "$(gcc -print-file-name=libc.a)" != libc.a ] || apt_install gcc libc6-dev
  binary="$work/pause"
  gcc -static -Os -s -Wall -Wextra -o "$binary" "$(dirname "$0")/images/pause.c"
fi
file=$(basename "$binary")
install -m 0755 "$binary" "$work/rootfs/$file"

# The project's one image writer (infra/image/oci-archive.ts): a reproducible OCI archive.
oci_archive="$TIDINGS_ROOT/dist/infra/image/oci-archive.js"
[ -f "$oci_archive" ] || "$TIDINGS_NODE" "$TIDINGS_ROOT/infra/scripts/build.mjs"
mkdir -p "$(dirname "$out")"
"$TIDINGS_NODE" "$oci_archive" --name "$name" --out "$out.tmp" --layer "$work/rootfs" \
  --entrypoint "/$file" --user "$user" --workdir / >/dev/null
mv "$out.tmp" "$out"
log "wrote $name to $out"
