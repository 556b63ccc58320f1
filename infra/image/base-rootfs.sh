#!/usr/bin/env bash
# Assembles the image's base root filesystem (the bottom layer): the C and C++ runtime Node
# needs, from this machine's Debian release, plus Node 24 from the npm `node` package. No shell,
# no package manager (distroless style). Cached under ~/.cache/tidings/image/<stamp>, keyed by
# the Debian package versions, the Node binary and this script; prints the rootfs folder.
#
#   bash infra/image/base-rootfs.sh     → /root/.cache/tidings/image/<stamp>/rootfs
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

# What `ldd node` needs (libc6: libc, libm, libdl, libpthread, the loader; libstdc++6;
# libgcc-s1), closed over their Depends (gcc-12-base: the GCC libraries' copyright). Left out on purpose: tzdata and ca-certificates (Node carries ICU's time zones and
# Mozilla's roots; the egress adds EGRESS_EXTRA_CA_FILE), netbase (Node never looks up
# /etc/services or /etc/protocols).
packages=(libc6 libgcc-s1 libstdc++6)

node_bin=$(readlink -f "$TIDINGS_NODE")
[ -x "$node_bin" ] || die "no Node binary at $TIDINGS_NODE: install the npm dependencies first"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (this needs a Debian machine)"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ "$codename" = bookworm ] || log "warning: this machine is Debian '$codename', the image is meant to be bookworm"

versions() {
  local p v
  for p in $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${packages[@]}" | grep -v '^ ' | sort -u); do
    v=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
    [ -n "$v" ] && [ "$v" != "(none)" ] || die "apt knows no candidate for $p (run apt-get update)"
    echo "$p=$v"
  done
}
pinned=$(versions)
stamp=$( { echo "$pinned"; sha256sum "$node_bin" | cut -d' ' -f1; sha256sum "$0" | cut -d' ' -f1; } | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tidings/image/$stamp"
rootfs="$cache/rootfs"
if [ -f "$cache/done" ]; then
  log "base rootfs cached: $rootfs"
  echo "$rootfs"
  exit 0
fi

log "assembling the base rootfs ($(echo "$pinned" | tr '\n' ' '))"
rm -rf "$cache"
mkdir -p "$cache/debs" "$rootfs"
umask 022
# As root, apt would otherwise try (and warn about) dropping to its _apt user for the download.
(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root $pinned >&2)

mkdir -p "$rootfs/var/lib/dpkg/status.d"
for deb in "$cache"/debs/*.deb; do
  dpkg-deb -x "$deb" "$rootfs"
  # Distroless-style records, so image scanners know which Debian packages are inside.
  name=$(dpkg-deb -f "$deb" Package)
  dpkg-deb -f "$deb" Package Version Architecture Source Maintainer > "$rootfs/var/lib/dpkg/status.d/$name"
done

# Keep the libraries and their copyright notices; drop iconv modules (Node converts with ICU),
# docs, gdb/gcc helpers and lintian overrides.
rm -rf "$rootfs/usr/lib/x86_64-linux-gnu/gconv" "$rootfs/usr/share/gcc" "$rootfs/usr/share/gdb" "$rootfs/usr/share/lintian"
find "$rootfs/usr/share/doc" -type f ! -name copyright -delete

install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"

# Every library the Node binary asks for must be in the rootfs.
while read -r lib; do
  found=$(find "$rootfs/lib" "$rootfs/usr/lib" "$rootfs/lib64" -name "$lib" 2>/dev/null | head -1)
  [ -n "$found" ] || die "Node needs $lib, which no package in the base provides"
done < <(readelf -d "$node_bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')

install -d -m 0755 "$rootfs/etc" "$rootfs/app"
install -d -m 1777 "$rootfs/tmp"
cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
tidings:x:10001:10001:tidings:/tmp:/sbin/nologin
EOF
cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tidings:x:10001:
EOF
# Without this file glibc asks DNS before /etc/hosts (so `localhost` could go to cluster DNS).
echo 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"
# Runtimes mount their own /etc/hosts; this one serves when none does.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$rootfs/etc/hosts"
chmod 0644 "$rootfs"/etc/{passwd,group,nsswitch.conf,hosts}
chmod 0755 "$rootfs"

echo "$pinned" > "$cache/packages.txt"
touch "$cache/done"
log "base rootfs: $(du -sh "$rootfs" | cut -f1) in $rootfs"
echo "$rootfs"
