#!/usr/bin/env bash
# The test rig (CI, development machines; never a production host): the real peers the tests use,
# i.e. the Debian packages in scripts/apt-packages.txt (exim4, PostgreSQL, Prometheus, Chromium,
# zmap, tshark...) and the per-module extras in scripts/setup.d/*.sh, then scripts/setup.sh for
# what hostops itself needs (npm dependencies, native addons, TypeScript build). Idempotent; as root.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
mapfile -t pkgs < <(grep -vE '^\s*(#|$)' scripts/apt-packages.txt)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-test: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -q "${missing[@]}"
fi

for s in scripts/setup.d/*.sh; do
  [ -e "$s" ] || continue
  echo "setup-test: $s"
  bash "$s"
done

bash scripts/setup.sh
