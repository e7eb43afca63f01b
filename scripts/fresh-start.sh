#!/usr/bin/env bash
# First command of the README: install Minerva's dependencies and start it. Where the Electron
# runtime is missing, it runs headless and prints the address to open in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec npm start -- "$@"
