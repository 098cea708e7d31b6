// The host side of a lab's wires, as commands: `lab up` runs them, qemu.sh prints them. Pure.
import type { Lab, Nic, Vm } from '../spec/lab.js';

export type Argv = string[];

/** Creates the lab namespace (no-op parts are the caller's concern: it checks what exists first). */
export function namespaceCommands(netns: string): Argv[] {
  return [
    ['ip', 'netns', 'add', netns],
    ['ip', '-n', netns, 'link', 'set', 'lo', 'up'],
  ];
}

/** A multiqueue tap per NIC, so QEMU can attach queues=N to it; the host end gets the host address. */
export function tapCommands(netns: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', netns, 'tuntap', 'add', 'dev', nic.hostIf, 'mode', 'tap', 'multi_queue'],
    ...hostAddressCommands(netns, nic),
  ];
}

export function hostAddressCommands(netns: string, nic: Nic): Argv[] {
  return [
    ['ip', '-n', netns, 'addr', 'add', `${nic.host_ip}/${nic.prefix}`, 'dev', nic.hostIf],
    ['ip', '-n', netns, 'link', 'set', nic.hostIf, 'up'],
  ];
}

export function vmNetCommands(lab: Pick<Lab, 'name'>, netns: string, vm: Vm): Argv[] {
  return vm.nics.flatMap((nic) => tapCommands(netns, nic));
}
