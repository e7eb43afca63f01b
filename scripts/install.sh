#!/usr/bin/env bash
# Installs the project's npm dependencies exactly as locked. Electron's own postinstall fetches
# its runtime; where that has no route (or ELECTRON_SKIP_BINARY_DOWNLOAD=1 is set, as the test
# script does), the install still succeeds and `npm start` falls back to `minerva serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
need="20.19.0"
have="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then
  echo "Minerva needs Node.js $need or newer (found $have). Install it from your package manager or nodejs.org, then run this again." >&2
  exit 1
fi
npm ci --no-audit --no-fund
