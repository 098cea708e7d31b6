#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root, with no input: installs what it
# needs (npm packages, then the host tools through `lab doctor --fix`), builds, runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test/run.sh: run as root (the tests create network namespaces, taps and VMs)" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -q && apt-get install -y -q nodejs npm
fi

npm ci --no-audit --no-fund
node bin/lab.js doctor --fix
make -C native -j"$(nproc)"
exec npx vitest run --no-file-parallelism --reporter=default --reporter=./test/summary-reporter.ts
