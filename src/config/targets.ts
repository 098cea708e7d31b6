// Where a lab runs: on this host (the default), or on a Kubernetes cluster with KubeVirt and Multus
// (lab render --target kubevirt). A spec that one target cannot honour is a spec error there, at the
// field that asks for it, and still works on the other.
import { needsIommu, type Lab, type Node, type Target } from './lab.js';
import type { SemanticProblem } from './semantic.js';

export const TARGETS = ['local', 'kubevirt'] as const satisfies readonly Target[];
export type { Target };

/**
 * The lab as it runs on the target: on KubeVirt, each NIC of cluster.sriov.nics a VF that binds to
 * vfio-pci (in no-IOMMU mode: the guest has no IOMMU), every other with cluster.os_driver_for_dpdk
 * where it is set, and no VM with a virtual IOMMU.
 */
export function labOnTarget(lab: Lab, target: Target): Lab {
  if (target !== 'kubevirt') return lab;
  const { os_driver_for_dpdk: driver, sriov } = lab.spec.cluster;
  const vfs = new Set(sriov.nics);
  return {
    ...lab,
    target,
    nodes: lab.nodes.map((node) => {
      const nics = node.nics.map((nic) =>
        vfs.has(`${node.name}.${nic.name}`)
          ? { ...nic, vf: true, os_driver_for_dpdk: 'vfio-pci' as const }
          : driver
            ? { ...nic, os_driver_for_dpdk: driver }
            : nic,
      );
      return { ...node, nics, iommu: needsIommu(nics.filter((n) => !n.vf)) };
    }),
  };
}

/** What a target cannot do with this lab (as labOnTarget made it); none for a local lab. */
export function targetProblems(lab: Lab, target: Target): SemanticProblem[] {
  return target === 'kubevirt' ? kubevirtProblems(lab) : [];
}

function kubevirtProblems(lab: Lab): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  for (const node of lab.nodes) {
    if (node.kind !== 'qemu') {
      problems.push({
        code: 'SPEC_SEMANTIC',
        at: ['nodes', node.name, 'kind'],
        message: `node ${node.name} is a ${node.kind} node, a namespace on this host: on KubeVirt every node is a VM`,
        hint: 'Use kind: qemu for the cluster; the tester runs in the lab Job pod there (docs/cluster.md).',
      });
      continue;
    }
    if (node.accel === 'tcg')
      problems.push({
        code: 'SPEC_SEMANTIC',
        at: ['nodes', node.name, 'accel'],
        message: `node ${node.name} asks for TCG, and a KubeVirt VM cannot: KubeVirt uses KVM, or emulates every VM of the cluster when its own configuration says useEmulation`,
        hint: 'Use accel: auto (or kvm) for the cluster.',
      });
    const page = node.hugepages.size === '1G' ? 1024 : 2;
    if (node.memoryMiB % page)
      problems.push({
        code: 'SPEC_SEMANTIC',
        at: ['nodes', node.name, 'memory'],
        message: `node ${node.name} has ${node.memoryMiB} MiB, and on KubeVirt its memory is backed by ${node.hugepages.size} hugepages, so it must be a whole number of them`,
        hint: `Use a multiple of ${page} MiB.`,
      });
    node.nics.forEach((nic, i) => {
      if (nic.rss)
        problems.push({
          code: 'SPEC_SEMANTIC',
          at: ['nodes', node.name, 'nics', i, 'rss'],
          message: `${node.name}.${nic.name} asks for virtio-net's device RSS (QEMU's rss=on), which KubeVirt's interfaces have no setting for`,
          hint: 'Leave rss out for the cluster: the queues are still used, spread by the host side of the NIC.',
        });
      if (nic.os_driver_for_dpdk === 'vfio-pci' && !nic.vf)
        problems.push({
          code: 'SPEC_SEMANTIC',
          at: ['nodes', node.name, 'nics', i, 'os_driver_for_dpdk'],
          message: `${node.name}.${nic.name} binds to vfio-pci, which needs a virtual IOMMU, and a KubeVirt guest has none (kubevirt/kubevirt#15029); Debian's kernel has no vfio no-IOMMU mode either`,
          hint: 'Set cluster.os_driver_for_dpdk: uio_pci_generic to use it on the cluster and keep vfio-pci on this host, or use uio_pci_generic everywhere.',
        });
    });
  }
  problems.push(...sriovProblems(lab));
  for (const relay of lab.relays)
    problems.push({
      code: 'SPEC_SEMANTIC',
      at: relay.at,
      message: `${relay.label} is impaired by l2impair, a relay on this host; a cluster's wires are bridges on its nodes, and lab has nothing there to relay through`,
      hint: 'Leave impair out for the cluster (a spec of its own), or impair the cluster bridge with tc netem on its node.',
    });
  return problems;
}

/** What cluster.sriov asks that cannot be: each at the entry or field that asks it. */
function sriovProblems(lab: Lab): SemanticProblem[] {
  const { resource, nics } = lab.spec.cluster.sriov;
  const problems: SemanticProblem[] = [];
  const at = (i: number) => ['cluster', 'sriov', 'nics', i];
  const all = lab.nodes.flatMap((node) => node.nics);
  const named = (entry: string) => all.find((n) => `${n.node}.${n.name}` === entry);
  if (nics.length && !resource)
    problems.push({
      code: 'SPEC_SEMANTIC',
      at: ['cluster', 'sriov'],
      message: 'cluster.sriov names VFs but no resource to take them from',
      hint: "Set cluster.sriov.resource to the SR-IOV device plugin's vfio-pci resource, e.g. intel.com/intel_sriov_vfio.",
    });
  nics.forEach((entry, i) => {
    const nic = named(entry);
    if (!nic) {
      problems.push({
        code: 'SPEC_SEMANTIC',
        at: at(i),
        message: `cluster.sriov.nics names ${entry}, and the lab has no such NIC`,
        hint: `Its NICs: ${all.map((n) => `${n.node}.${n.name}`).join(', ')}.`,
      });
      return;
    }
    if (lab.image && 'debian' in lab.image)
      problems.push({
        code: 'SPEC_SEMANTIC',
        at: at(i),
        message: `${entry} is a VF on the cluster, which DPDK binds with vfio-pci in no-IOMMU mode, and the kernel of lab's Debian image has none (no CONFIG_VFIO_NOIOMMU); uio_pci_generic cannot take a VF (it has no INTx)`,
        hint: 'Boot an image whose kernel has it (image: {url, sha256}, an Ubuntu cloud image), or leave the NIC virtio on the cluster.',
      });
    const peers =
      nic.peer.kind === 'nic'
        ? [`${nic.peer.node}.${nic.peer.nic}`]
        : nic.peer.kind === 'network'
          ? (lab.networks.find((n) => n.name === (nic.peer as { network: string }).network)?.members ?? []).map(
              (m) => `${m.node}.${m.nic}`,
            )
          : [];
    if (nic.peer.kind === 'labns')
      problems.push({
        code: 'SPEC_SEMANTIC',
        at: at(i),
        message: `${entry} is a VF on its own wire, tested from the lab namespace: on the cluster that is the tester pod, which cannot hold a VF bound to vfio-pci as its end`,
        hint: "Link it to a NIC of a tester node that is a VF too (links, verify.from), so the two VFs meet on the NIC's switch.",
      });
    const virtio = peers.filter((p) => p !== entry && !nics.includes(p));
    if (virtio.length)
      problems.push({
        code: 'SPEC_SEMANTIC',
        at: at(i),
        message: `${entry} is a VF on the cluster and shares its wire with ${virtio.join(', ')}, which is virtio there: a VF's wire is the NIC's switch, a virtio NIC's a bridge, and they do not meet`,
        hint: `Add ${virtio.join(', ')} to cluster.sriov.nics too.`,
      });
  });
  return problems;
}

/**
 * KubeVirt's networkInterfaceMultiqueue is per VM: on, every virtio NIC has one queue per vCPU. lab
 * turns it on where a virtio NIC asks for more than one; the guest then sets each NIC's own count. A
 * VF's queues are its own.
 */
export function kubevirtMultiqueue(node: Pick<Node, 'nics'>): boolean {
  return node.nics.some((n) => !n.vf && n.queues > 1);
}
