#!/usr/bin/env bash
# Second command of the README (and what CI runs): install what the tests need where missing
# (Debian's chromium, docker.io with a running dockerd, the npm dependencies), then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh
# The tests need no Electron runtime (its suite skips with a printed reason), so do not fetch it.
ELECTRON_SKIP_BINARY_DOWNLOAD=1 bash scripts/install.sh
npm test
