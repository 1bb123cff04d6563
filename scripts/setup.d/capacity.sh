#!/usr/bin/env bash
# capacity tests make real-format fixtures with rrdtool, sysstat (sadc/sadf) and prometheus/promtool
# (all in scripts/apt-packages.txt) and render PNG charts, which need a font. Idempotent; runs as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for p in rrdtool sysstat mrtg faketime prometheus fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -qq
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
# sadc lives outside PATH on Debian; the tests call it by this path
test -x /usr/lib/sysstat/sadc || { echo "capacity setup: /usr/lib/sysstat/sadc missing after installing sysstat" >&2; exit 1; }
