// Where a lab runs: on this host (the default), or on a Kubernetes cluster with KubeVirt and Multus
// (lab render --target kubevirt). A spec that one target cannot honour is a spec error there, at the
// field that asks for it, and still works on the other.
import { needsIommu, type Lab, type Node, type Target } from './lab.js';
import type { SemanticProblem } from './semantic.js';

export const TARGETS = ['local', 'kubevirt'] as const satisfies readonly Target[];
export type { Target };

/** The lab as it runs on the target: on KubeVirt, every NIC with cluster.os_driver_for_dpdk where it is set. */
export function labOnTarget(lab: Lab, target: Target): Lab {
  if (target !== 'kubevirt') return lab;
  const driver = lab.spec.cluster.os_driver_for_dpdk;
  if (!driver) return { ...lab, target };
  return {
    ...lab,
    target,
    nodes: lab.nodes.map((node) => {
      const nics = node.nics.map((nic) => ({ ...nic, os_driver_for_dpdk: driver }));
      return { ...node, nics, iommu: needsIommu(nics) };
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
      if (nic.os_driver_for_dpdk === 'vfio-pci')
        problems.push({
          code: 'SPEC_SEMANTIC',
          at: ['nodes', node.name, 'nics', i, 'os_driver_for_dpdk'],
          message: `${node.name}.${nic.name} binds to vfio-pci, which needs a virtual IOMMU, and a KubeVirt guest has none (kubevirt/kubevirt#15029); Debian's kernel has no vfio no-IOMMU mode either`,
          hint: 'Set cluster.os_driver_for_dpdk: uio_pci_generic to use it on the cluster and keep vfio-pci on this host, or use uio_pci_generic everywhere.',
        });
    });
  }
  for (const relay of lab.relays)
    problems.push({
      code: 'SPEC_SEMANTIC',
      at: relay.at,
      message: `${relay.label} is impaired by l2impair, a relay on this host; a cluster's wires are bridges on its nodes, and lab has nothing there to relay through`,
      hint: 'Leave impair out for the cluster (a spec of its own), or impair the cluster bridge with tc netem on its node.',
    });
  return problems;
}

/**
 * KubeVirt's networkInterfaceMultiqueue is per VM: on, every virtio NIC has one queue per vCPU. lab
 * turns it on where a NIC asks for more than one; the guest then sets each NIC's own count.
 */
export function kubevirtMultiqueue(node: Pick<Node, 'nics'>): boolean {
  return node.nics.some((n) => n.queues > 1);
}
