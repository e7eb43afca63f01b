#!/usr/bin/env bash
# Installs what the tests need where it is missing, from Debian's packages:
# - chromium (Playwright drives this binary; no browser is ever downloaded),
# - docker.io with a running dockerd (the model runtime tests use a real Docker Engine).
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  as_root sh -c 'nohup dockerd > /tmp/minerva-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "setup: dockerd did not start; see /tmp/minerva-dockerd.log" >&2
    tail -n 20 /tmp/minerva-dockerd.log >&2 || true
    exit 1
  fi
fi
echo "setup: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), docker $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
