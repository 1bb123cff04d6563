#!/bin/bash
# iperf module: ss (iproute2) supplies tcp_info; the tests run Debian's iperf3 (3.12) and iperf (2.1.8) as real peers on loopback.
# Both are in scripts/apt-packages.txt; this makes sure they are there (idempotent) and that the
# iperf3 package does not start its own daemon on 5201, which would collide with `hostops iperf -s`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v ss >/dev/null 2>&1 || need+=(iproute2)  # ss reads tcp_info for Retr / Cwnd
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v iperf >/dev/null 2>&1 || need+=(iperf)
if [ ${#need[@]} -gt 0 ]; then
  echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
  apt-get install -y --no-install-recommends "${need[@]}"
fi
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled iperf3.service >/dev/null 2>&1; then
  systemctl disable --now iperf3.service || true
fi
exit 0
