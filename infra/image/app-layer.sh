#!/usr/bin/env bash
# Assembles the image's app layer into DIR (DIR/app/...): the built services and libs, the
# package.json, and a production node_modules pruned to what the services load. Used by
# build.sh and the Dockerfile; expects `npm run build` to have filled dist/.
#
#   bash infra/image/app-layer.sh DIR
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"
[ $# -eq 1 ] || die "usage: app-layer.sh DIR"
[ -f dist/infra/image/prune-modules.js ] || die "dist/ is not built: run npm run build first"
app="$1/app"
rm -rf "$app"
mkdir -p "$app/dist"
umask 022

# The app's own code: services and the libs they import (not the test harness), the console, the helm test
# hooks when there are any; no specs. Its source maps stay: small, and the entrypoint's
# --enable-source-maps turns stack traces into TypeScript lines.
for dir in services libs console infra/helm-test; do
  if [ -d "dist/$dir" ]; then mkdir -p "$app/dist/$(dirname "$dir")" && cp -R "dist/$dir" "$app/dist/$dir"; fi
done
rm -rf "$app/dist/libs/testing"
find "$app/dist" \( -name '*.spec.js' -o -name '*.spec.js.map' \) -delete
cp package.json "$app/package.json"

# Production dependencies pruned to what the services load, cached by everything that decides them.
key=$(cat package-lock.json infra/image/runtime-packages.txt infra/image/prune-rules.ts infra/image/prune-modules.ts | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tidings/image/modules-$key"
if [ ! -f "$cache/done" ]; then
  log "installing production dependencies (npm ci --omit=dev) and pruning them"
  rm -rf "$cache" && mkdir -p "$cache"
  cp package.json package-lock.json "$cache/"
  # --ignore-scripts: no package the services load has an install step (none is native).
  (cd "$cache" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
  "$TIDINGS_NODE" dist/infra/image/prune-modules.js --modules "$cache/node_modules" \
    --keep infra/image/runtime-packages.txt 2> "$cache/prune.txt" || { cat "$cache/prune.txt" >&2; exit 1; }
  touch "$cache/done"
else
  log "pruned production node_modules from the cache ($cache)"
fi
cat "$cache/prune.txt" >&2
cp -R "$cache/node_modules" "$app/node_modules"
log "app layer: $(du -sh --apparent-size "$app" | cut -f1) ($(du -sh --apparent-size "$app/node_modules" | cut -f1) of it node_modules)"
