#!/usr/bin/env bash
# npm run image: builds the one container image of every service as an OCI archive (also
# `docker load`-able) on this machine, without a Docker engine or a base image from a
# registry. Two layers: the Debian + Node base (base-rootfs.sh, cached) and the app (/app:
# dist, package.json, a pruned production node_modules). See infra/image/README.md.
#
#   bash infra/image/build.sh [--out FILE] [--tag TAG]
#     --out  default .local/image/tidings-<version>.tar
#     --tag  the tag (default: package.json's version), or a whole name such as tidings/tidings:dev
# Prints the archive's path on stdout; sizes and timings on stderr.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"
started=$(date +%s.%N)

version=$("$TIDINGS_NODE" -p 'require("./package.json").version')
out="$TIDINGS_LOCAL/image/tidings-$version.tar" tag="$version"
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    *) die "unknown argument: $1 (usage: build.sh [--out FILE] [--tag TAG])" ;;
  esac
done
case $tag in */* | *:*) name=$tag ;; *) name="tidings/tidings:$tag" ;; esac
[ -x "$TIDINGS_NODE" ] || die "no node_modules: run npm ci (or infra/scripts/setup.sh) first"
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

"$TIDINGS_NODE" infra/scripts/build.mjs
base=$("$TIDINGS_ROOT/infra/image/base-rootfs.sh")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$TIDINGS_ROOT/infra/image/app-layer.sh" "$work/app-layer"

log "writing $name to $out"
result=$("$TIDINGS_NODE" dist/infra/image/oci-archive.js --name "$name" --out "$out" \
  --layer "$base" --layer "$work/app-layer" \
  --entrypoint node,--enable-source-maps,--disable-warning=TimeoutNegativeWarning \
  --user 10001:10001 --workdir /app \
  --env PATH=/usr/local/bin:/usr/bin:/bin --env NODE_ENV=production \
  --label "org.opencontainers.image.title=tidings" --label "org.opencontainers.image.version=$version")

"$TIDINGS_NODE" dist/infra/image/verify.js "$out" >&2
RESULT="$result" OUT="$out" STARTED="$started" "$TIDINGS_NODE" -e '
  const r = JSON.parse(process.env.RESULT);
  const mb = (n) => (n / 1e6).toFixed(1) + " MB";
  const size = require("node:fs").statSync(process.env.OUT).size;
  const names = ["base (Debian + Node)", "app (/app)"];
  r.layers.forEach((l, i) => console.error(`layer ${i + 1} ${names[i] ?? ""}: ${mb(l.size)} compressed, ${mb(l.tarSize)} unpacked (${l.digest.slice(7, 19)})`));
  const unpacked = r.layers.reduce((s, l) => s + l.tarSize, 0);
  console.error(`image id ${r.configDigest}`);
  console.error(`archive ${mb(size)} (compressed), image ${mb(unpacked)} unpacked, built in ${(Date.now() / 1000 - Number(process.env.STARTED)).toFixed(1)} s`);
'
echo "$out"
