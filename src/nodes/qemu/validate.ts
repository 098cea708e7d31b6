// What a spec must hold for a QEMU node, beyond the rules every node obeys.
import type { Lab, Node } from '../../config/lab.js';
import { parseCidr, subnetOf } from '../../config/net.js';
import { overlaps, problem, type SemanticProblem } from '../../config/semantic.js';

/** Memory the guest kernel, sshd and cloud-init need beside the hugepages. */
const KERNEL_HEADROOM_MIB = 256;

/**
 * QEMU's user-mode networking, which carries the management NIC (SSH), always uses this subnet
 * (guest 10.0.2.15, host 10.0.2.2, DNS 10.0.2.3).
 */
export const MANAGEMENT_SUBNET = '10.0.2.0/24';

/** The guest's name for its management NIC (render/cloud-init.ts): a data NIC of that name would take its place. */
const MANAGEMENT_NIC = 'mgmt';

/**
 * A QEMU node's data NICs are virtio-net-pci: a DPDK built without that PMD finds no port. meson
 * always builds the PCI and vdev buses and the ring mempool, whatever enable_drivers says.
 */
const NIC_DRIVERS = ['net/virtio'];

const reported = new WeakSet<Lab>();

export function validateQemuNode(node: Node, lab: Lab): SemanticProblem[] {
  const at = ['nodes', node.name];
  const out: SemanticProblem[] = [];
  for (const nic of node.nics.filter((n) => n.name === MANAGEMENT_NIC)) {
    out.push(
      problem(
        [...at, 'nics', nic.index, 'name'],
        `"${MANAGEMENT_NIC}" is the guest's name for its management NIC (SSH)`,
        'Give the data-plane NIC another name, such as dp0.',
      ),
    );
  }
  const drivers = lab.dpdk.source === 'release' ? lab.dpdk.build.drivers : [];
  const missing = drivers.length ? NIC_DRIVERS.filter((d) => !drivers.some((w) => globMatch(w, d))) : [];
  // One problem per lab, not per node.
  if (missing.length && !reported.has(lab)) {
    reported.add(lab);
    out.push(
      problem(
        ['dpdk', 'build', 'drivers'],
        `builds no ${missing.join(' or ')}, which QEMU nodes' virtio NICs need: the apps would find no port, after the whole build`,
        `Add ${missing.join(' and ')} to dpdk.build.drivers.`,
      ),
    );
  }
  if (node.hugepagesMiB > node.memoryMiB - KERNEL_HEADROOM_MIB) {
    out.push(
      problem(
        [...at, 'hugepages'],
        `${node.hugepages.count} × ${node.hugepages.size} hugepages (${node.hugepagesMiB} MiB) do not fit in ${node.memoryMiB} MiB of memory`,
        `Leave at least ${KERNEL_HEADROOM_MIB} MiB for the guest kernel: lower hugepages.count or raise memory.`,
      ),
    );
  }
  if (new Set(node.nics.map((n) => n.os_driver_for_dpdk)).size > 1) {
    out.push(
      problem(
        [...at, 'nics'],
        'mixes vfio-pci and uio_pci_generic NICs in one VM',
        'vfio-pci needs the q35 machine with a virtual IOMMU, under which uio_pci_generic cannot do DMA: pick one driver per VM.',
      ),
    );
  }
  const management = subnetOf(parseCidr(MANAGEMENT_SUBNET)!);
  for (const nic of node.nics) {
    const cidr = parseCidr(nic.ip);
    // A data-plane NIC there would give the guest two routes into one subnet.
    if (cidr && cidr.prefix >= 8 && overlaps(subnetOf(cidr), management)) {
      out.push(
        problem(
          [...at, 'nics', nic.index, 'ip'],
          `subnet of ${nic.ip} overlaps ${MANAGEMENT_SUBNET}, the management network QEMU's user-mode networking gives every VM`,
          'The guest would have two routes into one subnet and SSH could go out the data-plane NIC: use another subnet, such as 10.10.0.2/24.',
        ),
      );
    }
  }
  return out;
}

/** meson's enable_drivers patterns: "net/*" matches every net driver. */
function globMatch(pattern: string, name: string): boolean {
  const [pc, pn] = pattern.split('/');
  const [nc, nn] = name.split('/');
  const part = (p = '', n = '') => new RegExp(`^${p.replace(/\*/g, '.*')}$`).test(n);
  return part(pc, nc) && part(pn, nn);
}
