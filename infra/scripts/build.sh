#!/usr/bin/env bash
# npm run build: transpile everything into dist/ (see build.mjs).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
exec "$TIDINGS_NODE" "$TIDINGS_ROOT/infra/scripts/build.mjs"
