#!/usr/bin/env bash
# net module: the reference tools its tests and benchmarks compare with, and what the tests use to
# build topologies and hostile peers. Idempotent; run as root by scripts/setup-test.sh.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for p in iputils-ping traceroute mtr-tiny fping nftables iproute2 python3 util-linux; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  echo "setup.d/net: installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -q "${need[@]}"
fi
# the addon is built by `npm install` (node-gyp); it needs a C compiler and make
command -v cc >/dev/null && command -v make >/dev/null || apt-get install -y -q build-essential
