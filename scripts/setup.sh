#!/usr/bin/env bash
# Everything a fresh Debian machine needs for hostops and its tests: the Debian packages of the
# real peers (scripts/apt-packages.txt), per-module extras (scripts/setup.d/*.sh), then the npm
# dependencies, the native addon and the TypeScript build. Idempotent; runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
mapfile -t pkgs < <(grep -vE '^\s*(#|$)' scripts/apt-packages.txt)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -q "${missing[@]}"
fi

for s in scripts/setup.d/*.sh; do
  [ -e "$s" ] || continue
  echo "setup: $s"
  bash "$s"
done

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build
