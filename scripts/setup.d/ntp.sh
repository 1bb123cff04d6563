#!/bin/sh
# Peers for the ntp/amp tests: chrony (Debian package) and ntpsec. ntpsec conflicts with chrony in
# apt, so it is unpacked (not installed) into /opt/hostops-peers/ntpsec and run from there with a
# config the tests write. Neither daemon may run as a host service on UDP 123. Idempotent.
set -eu
PEERS=/opt/hostops-peers/ntpsec
export DEBIAN_FRONTEND=noninteractive

if ! command -v chronyd >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends chrony
fi
# chrony's package starts a host service; the tests start their own chronyd in namespaces.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now chrony.service >/dev/null 2>&1 || true
fi
if [ -f /run/chrony/chronyd.pid ] && [ ! -d /run/systemd/system ]; then
  kill "$(cat /run/chrony/chronyd.pid)" 2>/dev/null || true
fi

# zmap: the reference scanner for bench/amp-scan.ts
if ! command -v zmap >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends zmap
fi

# ntpd's shared libraries (already present with chrony/openssl on Debian 12, listed for fresh hosts).
apt-get install -y --no-install-recommends libbsd0 libcap2 libssl3 python3 >/dev/null

if [ ! -x "$PEERS/usr/sbin/ntpd" ] || [ ! -x "$PEERS/usr/bin/ntpq" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download ntpsec python3-ntp)
  mkdir -p "$PEERS"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$PEERS"; done
fi
# ntpq (python) finds its module through PYTHONPATH=$PEERS/usr/lib/python3/dist-packages and its C
# helper library next to ntpc.py (the first place ntp/ntpc.py looks).
ln -sf "$PEERS/usr/lib/x86_64-linux-gnu/ntp/libntpc.so.1" "$PEERS/usr/lib/python3/dist-packages/ntp/libntpc.so"
"$PEERS/usr/sbin/ntpd" --version
