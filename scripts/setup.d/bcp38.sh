#!/usr/bin/env bash
# bcp38 / ddos tests: tshark (capture cross-checks), tcpdump (live --watch stream), nftables (generated
# rules loaded in namespaces) and iproute2 (namespaces). Normally already installed from
# scripts/apt-packages.txt; this makes the module's needs explicit and idempotent. Runs as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for p in tshark tcpdump nftables iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  # tshark asks whether non-root users may capture; the tests run as root, so answer no
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq
  apt-get install -y -q "${need[@]}"
fi
