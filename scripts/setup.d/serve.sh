#!/usr/bin/env bash
# hostops serve: its tests start a private PostgreSQL cluster (initdb/pg_ctl as the postgres
# user), a private Prometheus and headless Chromium, and probe with fping, mtr, iperf3 and
# chronyd. All are Debian packages; install whichever is missing. Idempotent; runs as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(postgresql prometheus chromium fonts-dejavu-core fping mtr-tiny iperf3 chrony exim4-daemon-light)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup.d/serve: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -q "${missing[@]}"
fi
# the tests need initdb/pg_ctl of some PostgreSQL major version under /usr/lib/postgresql
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "setup.d/serve: no /usr/lib/postgresql/*/bin/initdb after installing postgresql" >&2
  exit 1
fi
getent passwd postgres >/dev/null || { echo "setup.d/serve: the postgres user is missing" >&2; exit 1; }
