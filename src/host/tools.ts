// The host tools each part of lab needs, and the Debian package that provides each.

export interface HostTool {
  name: string;
  /** How to tell it is there: a command on PATH, a pkg-config module, or a file. */
  check: { command: string } | { pkgConfig: string } | { file: string };
  apt: string;
  neededFor: string;
  /** lab works without it; only the feature named in neededFor does not. */
  optional?: boolean;
}

export const HOST_TOOLS: HostTool[] = [
  {
    name: 'qemu-system-x86_64',
    check: { command: 'qemu-system-x86_64' },
    apt: 'qemu-system-x86',
    neededFor: 'running VMs',
  },
  {
    name: 'qemu-img',
    check: { command: 'qemu-img' },
    apt: 'qemu-utils',
    neededFor: 'disk overlays and image conversion',
  },
  {
    name: 'mmdebstrap',
    check: { command: 'mmdebstrap' },
    apt: 'mmdebstrap',
    neededFor: 'building the offline Debian image',
  },
  {
    name: 'mkfs.ext4',
    check: { command: 'mkfs.ext4' },
    apt: 'e2fsprogs',
    neededFor: 'making the image disk without a loop mount',
  },
  {
    name: 'cloud-localds',
    check: { command: 'cloud-localds' },
    apt: 'cloud-image-utils',
    neededFor: 'the cloud-init seed ISO',
  },
  {
    name: 'genisoimage',
    check: { command: 'genisoimage' },
    apt: 'genisoimage',
    neededFor: 'the cloud-init seed ISO (used by cloud-localds)',
  },
  { name: 'ip', check: { command: 'ip' }, apt: 'iproute2', neededFor: 'network namespaces, taps and veths' },
  {
    name: 'setpriv',
    check: { command: 'setpriv' },
    apt: 'util-linux',
    neededFor: 'running the impairment relay with only the capabilities it needs',
  },
  { name: 'ping', check: { command: 'ping' }, apt: 'iputils-ping', neededFor: 'the kernel-bypass and control checks' },
  {
    name: 'ssh-keygen',
    check: { command: 'ssh-keygen' },
    apt: 'openssh-client',
    neededFor: 'the lab key and the pinned guest host keys',
  },
  { name: 'gcc', check: { command: 'gcc' }, apt: 'build-essential', neededFor: 'building the native apps and l2probe' },
  { name: 'make', check: { command: 'make' }, apt: 'make', neededFor: 'building the native apps' },
  { name: 'pkg-config', check: { command: 'pkg-config' }, apt: 'pkg-config', neededFor: 'finding DPDK' },
  {
    name: 'libdpdk',
    check: { pkgConfig: 'libdpdk' },
    apt: 'libdpdk-dev',
    neededFor: 'building the apps for the VM-free tier',
  },
  { name: 'dpdk-testpmd', check: { command: 'dpdk-testpmd' }, apt: 'dpdk-dev', neededFor: 'the benchmark baseline' },
  {
    name: 'cloud-init',
    check: { command: 'cloud-init' },
    apt: 'cloud-init',
    neededFor: 'checking rendered user-data (cloud-init schema)',
  },
  {
    name: 'tcpdump',
    check: { command: 'tcpdump' },
    apt: 'tcpdump',
    neededFor: "the wire's own RTT, which the tests hold l2probe to",
  },
  { name: 'dot', check: { command: 'dot' }, apt: 'graphviz', neededFor: '`lab graph --format svg`', optional: true },
  // aarch64 guests (nodes.<n>.arch): QEMU for them, the UEFI firmware a downloaded arm64 image boots
  // through, and, on a host of another architecture, running arm64 maintainer scripts while
  // mmdebstrap builds the image (qemu-user-static's interpreter, registered with binfmt_misc).
  {
    name: 'qemu-system-aarch64',
    check: { command: 'qemu-system-aarch64' },
    apt: 'qemu-system-arm',
    neededFor: 'aarch64 guests',
    optional: true,
  },
  {
    name: 'QEMU_EFI.fd',
    check: { file: '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd' },
    apt: 'qemu-efi-aarch64',
    neededFor: 'aarch64 guests booting a downloaded image (UEFI)',
    optional: true,
  },
  {
    name: 'qemu-aarch64-static',
    check: { command: 'qemu-aarch64-static' },
    apt: 'qemu-user-static',
    neededFor: "building an aarch64 guest image on another architecture's host",
    optional: true,
  },
  {
    name: 'update-binfmts',
    check: { command: 'update-binfmts' },
    apt: 'binfmt-support',
    neededFor: "building an aarch64 guest image on another architecture's host",
    optional: true,
  },
  {
    name: 'arch-test',
    check: { command: 'arch-test' },
    apt: 'arch-test',
    neededFor: "building an aarch64 guest image on another architecture's host (mmdebstrap checks it)",
    optional: true,
  },
  {
    name: 'umoci',
    check: { command: 'umoci' },
    apt: 'umoci',
    neededFor: '`lab images export --format containerdisk` (an OCI archive for KubeVirt)',
    optional: true,
  },
];
