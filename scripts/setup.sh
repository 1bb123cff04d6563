#!/usr/bin/env bash
# What `npx hostops serve` from this checkout needs, and nothing more: Node >= 20 (checked, not
# installed), a compiler for the native addons (make, g++, python3; only when no prebuilt addon
# loads here: a git checkout has none), the npm dependencies and the TypeScript build. It never
# installs, replaces or starts an MTA, a database, a browser or any daemon: the test peers are
# scripts/setup-test.sh's job. Idempotent. Installing packages needs root; the rest does not.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "setup: hostops needs Node.js >= 20 (found: $(node --version 2>/dev/null || echo none)); Debian 12's nodejs is 18: use nodejs.org or NodeSource packages" >&2
  exit 3
fi

prebuilt_loads() {
  [ ! -e .git ] && node -e '
    const dir = `prebuilds/${process.platform}-${process.arch}`;
    for (const n of ["hostops_probe", "hostops_raw", "hostops_scan", "hostops_spool", "hostops_sock"]) require(`./${dir}/${n}.node`);
  ' 2>/dev/null
}

# build tools only; --no-install-recommends keeps it to the compiler
build_debs=(make g++ python3)
if ! prebuilt_loads; then
  if command -v apt-get >/dev/null 2>&1; then
    missing=()
    for p in "${build_debs[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
      echo "setup: installing the compiler for the native addons: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
  elif ! command -v make >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    if command -v dnf >/dev/null 2>&1; then
      echo "setup: installing the compiler for the native addons: make gcc-c++ python3"
      dnf install -y make gcc-c++ python3
    else
      echo "setup: the native addons need make, g++ and python3; install them, or install the release tarball (docs/install.md)" >&2
      exit 3
    fi
  fi
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build
