#!/usr/bin/env bash
# ESLint over the workspace, with Nx's module-boundary rule (eslint.config.mjs).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$TIDINGS_ROOT"
export NX_DAEMON=false NX_NO_CLOUD=true
# The boundary rule reads Nx's project graph and silently skips itself without one: build it.
"$TIDINGS_NODE" node_modules/nx/bin/nx.js show projects >/dev/null
"$TIDINGS_NODE" node_modules/eslint/bin/eslint.js --max-warnings=0 libs services apps test infra
