#!/usr/bin/env bash
# PgBouncer tests (test/store/pgbouncer.ts) start their own pgbouncer on a free loopback port and
# stop it by PID: the Debian package's service (port 6432) is never wanted on the test rig, so it
# is disabled and stopped where systemd runs it. Idempotent; runs as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${Status}' pgbouncer 2>/dev/null | grep -q 'install ok installed'; then
  apt-get update -qq
  apt-get install -y -q pgbouncer
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now pgbouncer.service >/dev/null 2>&1 || true
fi
[ -x /usr/sbin/pgbouncer ] || { echo "setup.d/pgbouncer: /usr/sbin/pgbouncer missing" >&2; exit 1; }
