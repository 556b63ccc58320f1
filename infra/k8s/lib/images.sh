# The cluster's own images (no registry is reachable): the pause image every pod's sandbox
# runs, and the probe the cluster's checks run. Archives are cached outside the repository
# under a hash of their sources; `up` imports them into containerd each time (a few ms when
# present). Sourced by cluster.sh.
# shellcheck shell=bash

PAUSE_IMAGE=tidings.local/pause:1
PROBE_IMAGE=tidings.local/probe:1

# image_archives: builds what is missing, sets PAUSE_ARCHIVE and PROBE_ARCHIVE.
image_archives() {
  local here=$TIDINGS_ROOT/infra/k8s dir=$K8S_CACHE/images key
  mkdir -p "$dir"
  local writer=$TIDINGS_ROOT/infra/image/oci-archive.ts
  key=$(cat "$here/pause-image.sh" "$writer" "$here/images/pause.c" | sha256sum | cut -c1-16)
  PAUSE_ARCHIVE=$dir/pause-$key.tar
  [ -f "$PAUSE_ARCHIVE" ] || "$here/pause-image.sh" --out "$PAUSE_ARCHIVE"

  key=$( (cat "$here/pause-image.sh" "$writer" "$here/images/probe/main.go"; go version) | sha256sum | cut -c1-16)
  PROBE_ARCHIVE=$dir/probe-$key.tar
  if [ ! -f "$PROBE_ARCHIVE" ]; then
    local work
    work=$(mktemp -d)
    # One file, standard library only: no module needed.
    (cd "$here/images/probe" && CGO_ENABLED=0 GOFLAGS='' go build -trimpath -ldflags "-s -w" -o "$work/probe" main.go)
    "$here/pause-image.sh" --out "$PROBE_ARCHIVE" --binary "$work/probe" --name "$PROBE_IMAGE" --user 10001:10001
    rm -rf "$work"
  fi
}

# import_images: into the k8s.io namespace, where the CRI plugin looks, unpacked for overlayfs.
import_images() {
  local archive
  for archive in "$PAUSE_ARCHIVE" "$PROBE_ARCHIVE"; do
    ctr --address "$DIR/containerd.sock" -n k8s.io images import "$archive" >>"$DIR/logs/images.log" 2>&1 \
      || { tail -5 "$DIR/logs/images.log" >&2; die "importing $archive failed"; }
  done
}
