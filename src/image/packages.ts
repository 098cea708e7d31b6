// What the guest needs installed, in one place: the offline image bakes it in, a downloaded image gets it from cloud-init.
import type { Lab } from '../config/lab.js';

const BASE = [
  'openssh-server',
  'sudo',
  'cloud-init',
  'build-essential',
  'pkg-config',
  'python3',
  'pciutils',
  'kmod',
  'iproute2',
  'ethtool',
  'procps',
  'iputils-ping',
  // KubeVirt runs a VM's exec readiness probe through the guest agent (lab render --target kubevirt).
  'qemu-guest-agent',
];
const DPDK_DISTRO = ['dpdk', 'dpdk-dev', 'libdpdk-dev'];
const DPDK_RELEASE = [
  'meson',
  'ninja-build',
  'python3-pyelftools',
  'libnuma-dev',
  'xz-utils',
  'curl',
  'ca-certificates',
];

export function guestPackages(lab: Pick<Lab, 'dpdk'>): string[] {
  return [...BASE, ...(lab.dpdk.source === 'distro' ? DPDK_DISTRO : DPDK_RELEASE)];
}

/** What cloud-init installs on first boot: nothing on the offline image, which has it all built in. */
export function firstBootPackages(lab: Pick<Lab, 'dpdk' | 'image'>): string[] {
  return 'url' in lab.image ? guestPackages(lab) : [];
}
