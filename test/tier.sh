#!/usr/bin/env bash
# One tier of the suite. unit: pure, no root, seconds. host: root (network namespaces, veths, taps,
# QEMU started paused) and the host tools (`npx lab doctor --fix`). vm: root, whole labs in QEMU,
# minutes. slow: LAB_SLOW=1, labs that build DPDK from a release tarball under TCG, tens of minutes.
# `bash test/run.sh` installs everything and runs the first three, and the slow tier with LAB_SLOW=1.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-}
case "$tier" in
  unit) ;;
  slow) export LAB_SLOW=1 ;;&
  host | vm | slow)
    if [ "$(id -u)" -ne 0 ]; then
      echo "npm run test:$tier needs root: it creates network namespaces and taps$([ "$tier" = vm ] && echo ', and boots QEMU VMs'). Run it as root, or run npm run test:unit." >&2
      exit 2
    fi
    ;;
  *)
    echo "usage: test/tier.sh unit|host|vm|slow" >&2
    exit 2
    ;;
esac
npm run --silent build
[ "$tier" = unit ] || make -C native -j"$(nproc)" >/dev/null
exec npx vitest run "test/$tier"
