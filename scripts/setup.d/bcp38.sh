#!/usr/bin/env bash
# bcp38 / ddos tests: tshark (capture cross-checks), tcpdump (live --watch stream), nftables, iptables
# and ipset (generated rules run in namespaces; iptables and ipset are not in scripts/apt-packages.txt)
# and iproute2 (namespaces). Idempotent; runs as root. Installing iptables adds no rules to the host.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for p in tshark tcpdump nftables iptables ipset iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  # tshark asks whether non-root users may capture; the tests run as root, so answer no
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq
  apt-get install -y -q "${need[@]}"
fi
