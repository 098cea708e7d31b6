// What a spec must hold for a QEMU node, beyond the rules every node obeys.
import type { Vm } from '../../config/lab.js';
import { parseCidr, subnetOf } from '../../config/net.js';
import { overlaps, problem, type SemanticProblem } from '../../config/semantic.js';

/** Memory the guest kernel, sshd and cloud-init need beside the hugepages. */
const KERNEL_HEADROOM_MIB = 256;

/**
 * QEMU's user-mode networking, which carries the management NIC (SSH), always uses this subnet
 * (guest 10.0.2.15, host 10.0.2.2, DNS 10.0.2.3).
 */
export const MANAGEMENT_SUBNET = '10.0.2.0/24';

export function validateQemuNode(vm: Vm): SemanticProblem[] {
  const at = ['vms', vm.name];
  const out: SemanticProblem[] = [];
  if (vm.hugepagesMiB > vm.memoryMiB - KERNEL_HEADROOM_MIB) {
    out.push(problem([...at, 'hugepages'], `${vm.hugepages.count} × ${vm.hugepages.size} hugepages (${vm.hugepagesMiB} MiB) do not fit in ${vm.memoryMiB} MiB of memory`, `Leave at least ${KERNEL_HEADROOM_MIB} MiB for the guest kernel: lower hugepages.count or raise memory.`));
  }
  if (new Set(vm.nics.map((n) => n.driver)).size > 1) {
    out.push(problem([...at, 'nics'], 'mixes vfio-pci and uio_pci_generic NICs in one VM', 'vfio-pci needs the q35 machine with a virtual IOMMU, under which uio_pci_generic cannot do DMA: pick one driver per VM.'));
  }
  const management = subnetOf(parseCidr(MANAGEMENT_SUBNET)!);
  for (const nic of vm.nics) {
    const cidr = parseCidr(nic.ip);
    // A data-plane NIC there would give the guest two routes into one subnet.
    if (cidr && cidr.prefix >= 8 && overlaps(subnetOf(cidr), management)) {
      out.push(problem([...at, 'nics', nic.index, 'ip'], `subnet of ${nic.ip} overlaps ${MANAGEMENT_SUBNET}, the management network QEMU's user-mode networking gives every VM`, 'The guest would have two routes into one subnet and SSH could go out the data-plane NIC: use another subnet, such as 10.10.0.2/24.'));
    }
  }
  return out;
}
