#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root, with no input: installs what it
# needs (npm packages, then the host tools through `lab doctor --fix`), builds, runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test/run.sh: run as root (the tests create network namespaces, taps and VMs)" >&2
  exit 2
fi

# Debian 12's nodejs is 18, older than package.json's engines: installing it would not help.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null || ! command -v npm >/dev/null; then
  echo "test/run.sh: needs Node.js >= 20.19 with npm (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 3
fi

npm ci --no-audit --no-fund
node bin/lab.js doctor --fix

# Only the VM tier needs lab.yaml's guest image, and making it is mostly waiting for the mirror: it
# is made in the background while the rest is installed and the unit and host tiers run (they come
# first). The VM tier's lab up waits on the image's lock for it, or finds it in the cache.
image_log=$(mktemp /tmp/lab-image-build.XXXXXX.log)
setsid node bin/lab.js images build -f lab.yaml >"$image_log" 2>&1 &
image_pid=$!
echo "test/run.sh: making the guest image in the background (pid $image_pid, log $image_log)"
# Whatever happens next, nothing is left running: the build's whole process group goes with us.
trap 'kill -TERM -- "-$image_pid" 2>/dev/null || true; rm -f "$image_log"' EXIT
# What only the tests use: syslinux, mtools and dosfstools make the self-booting disk image that the
# downloaded-image lab boots (without a loop mount); xmllint holds JUnit to its schema; chromium
# opens the HTML report (driven by playwright-core, which downloads no browser of its own); dpdk-doc
# has DPDK's example sources (skeleton, l2fwd) that lab builds and verifies; umoci writes the
# containerDisk lab exports, and skopeo reads it back.
test_packages=(syslinux syslinux-common mtools dosfstools fdisk libxml2-utils chromium dpdk-doc umoci skopeo)
# The slow tier's aarch64 lab: QEMU for it, its UEFI firmware, and qemu-user-static with binfmt for
# building its arm64 image on this host (docs/aarch64.md).
if [ "${LAB_SLOW:-}" = 1 ]; then
  test_packages+=(qemu-system-arm qemu-efi-aarch64 qemu-user-static binfmt-support arch-test)
fi
if ! dpkg -s "${test_packages[@]}" >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${test_packages[@]}"
fi
if [ "${LAB_SLOW:-}" = 1 ]; then
  [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64
fi
make -C native -j"$(nproc)"
# The tests' own types too: vitest strips types without checking them.
npx tsc -p tsconfig.test.json
status=0
npx vitest run || status=$?
if ! wait "$image_pid"; then
  echo "test/run.sh: the background image build failed (the VM tier made its own); its log:" >&2
  tail -n 20 "$image_log" >&2
fi
exit "$status"
