#!/usr/bin/env bash
# One tier of the suite. unit: pure, no root, seconds. host: root (network namespaces, veths, taps,
# QEMU started paused) and the host tools (`npx lab doctor --fix`). vm: root, whole labs in QEMU,
# minutes. `bash test/run.sh` installs everything and runs all three.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-}
case "$tier" in
  unit) ;;
  host | vm)
    if [ "$(id -u)" -ne 0 ]; then
      echo "npm run test:$tier needs root: it creates network namespaces and taps$([ "$tier" = vm ] && echo ', and boots QEMU VMs'). Run it as root, or run npm run test:unit." >&2
      exit 2
    fi
    ;;
  *)
    echo "usage: test/tier.sh unit|host|vm" >&2
    exit 2
    ;;
esac
npm run --silent build
[ "$tier" = unit ] || make -C native -j"$(nproc)" >/dev/null
exec npx vitest run "test/$tier" --no-file-parallelism --reporter=default --reporter=./test/summary-reporter.ts
