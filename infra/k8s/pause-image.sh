#!/usr/bin/env bash
# Writes the pod sandbox ("pause") image as an OCI image archive that
# `ctr -n k8s.io images import` accepts: no registry is reachable, so the cluster brings its own.
# With --binary it packages any other static binary the same way (the cluster's probe image).
#
#   infra/k8s/pause-image.sh --out FILE [--binary BIN --name REF --user UID:GID]
#
# The image is one uncompressed layer holding one file, /<name of BIN>, which is also the
# entrypoint. The archive is reproducible (fixed times, owners and order), so the same binary
# gives the same digests.
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
case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) die "unsupported machine $(uname -m)" ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs" "$work/oci/blobs/sha256"

if [ -z "$binary" ]; then
  # A static link needs libc.a (libc6-dev), which a machine with gcc may still lack.
  command -v gcc >/dev/null && [ "$(gcc -print-file-name=libc.a)" != libc.a ] || apt_install gcc libc6-dev
  binary="$work/pause"
  gcc -static -Os -s -Wall -Wextra -o "$binary" "$(dirname "$0")/images/pause.c"
fi
file=$(basename "$binary")
install -m 0755 "$binary" "$work/rootfs/$file"

# Fixed mtime, owners and order make the tar, and so every digest, depend on the bytes only.
det_tar() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu "$@"; }

# blob FILE: moves FILE into blobs/sha256 under its digest; prints "sha256:HEX SIZE".
blob() {
  local hex size
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$work/oci/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

det_tar -C "$work/rootfs" -cf "$work/layer.tar" "$file"
read -r layer_digest layer_size < <(blob "$work/layer.tar")

# An uncompressed layer's digest is also its diff_id.
printf '{"created":"1970-01-01T00:00:00Z","architecture":"%s","os":"linux","config":{"User":"%s","Entrypoint":["/%s"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"infra/k8s/pause-image.sh"}]}' \
  "$arch" "$user" "$file" "$layer_digest" >"$work/config.json"
read -r config_digest config_size < <(blob "$work/config.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
read -r manifest_digest manifest_size < <(blob "$work/manifest.json")

# containerd names the imported image after io.containerd.image.name; the OCI ref name is
# the tag alone, as the image-layout spec has it.
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest_digest" "$manifest_size" "$arch" "$name" "${name##*:}" >"$work/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"

mkdir -p "$(dirname "$out")"
det_tar -C "$work/oci" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
log "wrote $name ($manifest_digest) to $out"
