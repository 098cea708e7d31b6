// What `lab init` writes: a commented starter spec, one of three shapes, that passes `lab validate`
// as written. Text rather than a YAML document built in code, so the comments sit where a reader
// needs them.

export type StarterKind = 'netns' | 'qemu';

export interface StarterOptions {
  kind: StarterKind;
  /** A second node, the tester, linked to the DUT: the checks run from its NIC, not the lab namespace. */
  tester: boolean;
  name: string;
  /** Where the schema is, for editors (yaml-language-server). */
  schema: string;
}

const HEAD: Record<StarterKind, string> = {
  netns: `# A VM-free lab: the node is a network namespace on this host, its NIC a veth, and the apps run
# on DPDK's af_packet driver (no QEMU, no hugepages). Up, verified and down in seconds:
#   sudo lab test`,
  qemu: `# One QEMU VM with a 2-queue virtio-net NIC (virtio-net-pci,mq=on) bound to vfio-pci behind a
# virtual IOMMU, provisioned by cloud-init from a Debian image lab builds offline. The first
# lab up builds the image (minutes, then cached); later ones restore a snapshot:
#   sudo lab doctor --fix && sudo lab test`,
};

function dutNode(kind: StarterKind): string {
  if (kind === 'netns')
    return `  dut:
    kind: netns
    cpus: 2
    nics:
      # 2 RX/TX queue pairs: l2_multi_echo gives each lcore one, and RSS spreads flows over them.
      - { name: dp0, queues: 2, ip: 10.60.0.2/24 }`;
  return `  dut:
    kind: qemu
    cpus: 3              # CPU 0 for the guest's kernel and sshd, CPUs 1-2 for the polling lcores
    memory: 2G
    accel: auto          # KVM where it works, else TCG, and lab up says which
    hugepages: { size: 2M, count: 256 }
    nics:
      - name: dp0
        queues: 2
        ip: 10.60.0.2/24   # the guest kernel's address: unanswered pings prove the kernel is bypassed
        os_driver_for_dpdk: vfio-pci`;
}

const TESTER = `  # The tester: a namespace whose NIC stays with its kernel; ping and l2probe run from it.
  tester:
    kind: netns
    cpus: 1
    nics:
      - { name: eth0, ip: 10.60.0.1/24 }`;

/** The lcores each app polls with: CPU 0 is the guest kernel's on a VM, and a namespace has the host's. */
function lcores(kind: StarterKind): { echo: string; multi: string } {
  return kind === 'qemu' ? { echo: '1', multi: '1-2' } : { echo: '0', multi: '0-1' };
}

export function starterSpec(o: StarterOptions): string {
  const l = lcores(o.kind);
  const parts = [
    `# yaml-language-server: $schema=${o.schema}
#
${HEAD[o.kind]}
# Every field, its description and default: the schema above (editors with YAML support show
# them). lab validate checks this file; lab graph draws it.
name: ${o.name}
`,
    ...(o.kind === 'qemu'
      ? [
          `image:
  debian:
    suite: bookworm      # built offline with mmdebstrap from Debian's packages

dpdk:
  source: distro         # Debian's DPDK 22.11; "release" builds a DPDK release in the guest
`,
        ]
      : []),
    `nodes:
${dutNode(o.kind)}
${o.tester ? `${TESTER}\n` : ''}`,
    ...(o.tester
      ? [
          `links:
  # One wire between the tester's NIC and the DUT's.
  - endpoints: [tester.eth0, dut.dp0]
`,
        ]
      : []),
    `apps:
  # lab's own echo apps: each sends every frame back with its MACs swapped. lab run NAME starts one.
  l2_echo:
    program: l2_echo
    node: dut
    nic: dp0
    lcores: "${l.echo}"
  l2_multi_echo:
    program: l2_multi_echo
    node: dut
    nic: dp0
    lcores: "${l.multi}"
`,
    `verify:
  # Where the checks run from: ${o.tester ? 'the tester node' : 'labns, the lab namespace at the far end of dp0'}.
  from: ${o.tester ? 'tester' : 'labns'}
  echo: { frames: 2000, flows: 32, pps: 1000 }
`,
  ];
  return parts.join('\n');
}
